"""Everything but one step is in setup.cfg: a built package (wheel, or ``pip install .``) carries the
models' configs and cards, which live in the repository's top-level ``models/``, as ``lstm_ms/models``."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithModels(build_py):
    """build_py, then ``models/<name>/{config_*.yaml, README.md}`` copied into the built ``lstm_ms/models``."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "lstm_ms" / "models"
        for source in sorted((HERE / "models").glob("*/*")):
            if source.suffix in (".yaml", ".md"):
                dest = target / source.parent.name / source.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)


setup(cmdclass={"build_py": BuildWithModels})
