"""Ship the top-level templates/emails/ (their only source) inside the wheel as
scheduler/templates/emails/, so a non-editable install has the email templates."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    def run(self):
        super().run()
        src = Path(__file__).resolve().parent / "templates" / "emails"
        if src.is_dir():  # absent only when building from an sdist that already carries them
            shutil.copytree(src, Path(self.build_lib) / "scheduler" / "templates" / "emails", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithTemplates})
