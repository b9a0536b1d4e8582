"""A declared test dependency that is missing stops the run with one message; it is never a silent skip."""
import subprocess
import sys

import pytest

from tests.conftest import REPO, TEST_DEPENDENCIES, missing_test_dependencies


def test_declared_dependencies_are_checked_and_present():
    """Every package of setup.cfg's test and plot extras (pytest aside) is checked at session start."""
    import configparser
    import re

    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    extras = setup["options.extras_require"]
    declared = {extra: {re.split(r"[<>=!~\[ ]", line.strip())[0] for line in extras[extra].splitlines() if line.strip()}
                for extra in ("test", "plot")}
    # pytest and its plugin pytest-xdist (scripts/run_tests.sh passes -n; without it pytest names the flag)
    assert {name: extra for extra, names in declared.items() for name in names - {"pytest", "pytest-xdist"}} == TEST_DEPENDENCIES
    assert missing_test_dependencies() == []


@pytest.mark.parametrize("hidden", ["torch", "matplotlib"])
def test_a_missing_dependency_fails_the_run_naming_it(hidden):
    # sys.modules[name] = None makes the package unimportable (and invisible to find_spec) in that run
    code = (f"import sys; sys.modules[{hidden!r}] = None\n"
            "import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/core/test_tags.py']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: missing test dependency: {hidden} "), proc.stderr
    assert "bash scripts/run_tests.sh" in lines[0] and ".[test,plot]" in lines[0]
    assert "passed" not in proc.stdout and "skipped" not in proc.stdout
