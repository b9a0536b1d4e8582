import pkgutil
import subprocess
import sys

import lstm_ms.core


def test_core_imports_with_mindspore_unimportable():
    modules = [m.name for m in pkgutil.iter_modules(lstm_ms.core.__path__, "lstm_ms.core.")]
    assert len(modules) >= 8
    code = ("import sys\nsys.modules['mindspore'] = None\n"
            + "".join(f"import {m}\n" for m in modules)
            + "assert 'mindspore' not in [k for k, v in sys.modules.items() if v is not None]\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
