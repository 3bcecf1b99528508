"""The files a config folder is made of, and two ways to tell that they changed: a cheap
signature (sizes and modification times, nothing read) and a fingerprint (a hash of the bytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def shipped_templates(part: str) -> Path:
    """Return the shipped templates/<part> folder: inside the installed package (a wheel), else
    the repository's top-level templates/ (a source checkout or an editable install)."""
    package = Path(__file__).resolve().parent.parent
    candidates = (package / "templates" / part, package.parent / "templates" / part)
    return next((d for d in candidates if d.is_dir()), candidates[0])


def plan_paths(directory: Path) -> list[Path]:
    """Return the plan files, plans/*.yaml then plans/*.yml, sorted."""
    return sorted((directory / "plans").glob("*.yaml")) + sorted((directory / "plans").glob("*.yml"))


def config_paths(directory: Path) -> list[Path]:
    """Return owners.yaml, policy.yaml and the plan files (present or not)."""
    return [directory / "owners.yaml", directory / "policy.yaml", *plan_paths(directory)]


def file_signature(directory: Path | str) -> tuple:
    """Return (path, size, mtime) of every config file: tells that nothing changed without reading
    or parsing anything (the daemon's tick)."""
    out = []
    for path in config_paths(Path(directory)):
        try:
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


def fingerprint(directory: Path) -> str:
    """Return a short hash of the config files' names and bytes (which config a sync applied)."""
    digest = hashlib.sha256()
    for path in config_paths(directory):
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
