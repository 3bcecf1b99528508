"""Ship the top-level templates/ (emails and web pages; their only source) inside the wheel as
scheduler/templates/, so a non-editable install has them."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    def run(self):
        super().run()
        for part in ("emails", "web", "documents"):
            src = Path(__file__).resolve().parent / "templates" / part
            if src.is_dir():  # absent only when building from an sdist that already carries them
                shutil.copytree(src, Path(self.build_lib) / "scheduler" / "templates" / part, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithTemplates})
