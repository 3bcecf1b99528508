"""A cache of the validated config, so that an unchanged config folder costs a hash, not a parse.

Parsing and validating is linear in the number of actions (seconds at 100,000); hashing the
files' bytes is milliseconds. After a successful load the `Config` is pickled under a key made
of the files' fingerprint, the folder's path and this code's version; the next load with the same
key unpickles it. A config with errors is never cached, so every error is still reported.

Most commands never look at a plan's actions (a run reads them from the database), so each
plan's actions are kept as one pickled blob and unpickled on first use (`LazyActions`).

Pickle runs code when loaded, so the cache is only read from a file this user owns that nobody
else can write, in a folder nobody else can write; anything else (or a damaged file) is ignored
and the folder is parsed as usual.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from scheduler.config.files import fingerprint
from scheduler.config.model import Config

_CODE = Path(__file__).resolve().parent


class LazyActions(Sequence):
    """A plan's actions, unpickled from `blob` when first read (iterated, indexed or counted)."""

    def __init__(self, blob: bytes):
        self.blob = blob

    @cached_property
    def items(self) -> tuple:
        return pickle.loads(self.blob)

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.items)

    def __getstate__(self) -> dict:
        return {"blob": self.blob}


def code_version() -> str:
    """Return a hash of the config package's source and the Python version (a pickle made by
    other code is not trusted to mean the same)."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(_CODE.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _private(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def load_cached(directory: Path, cache_dir: Path | None, load: Callable[[Path], Config]) -> Config:
    """Return the Config of `directory`: from the cache when its files are unchanged, else
    `load(directory)` (which raises ConfigErrors), caching the result when it can."""
    if cache_dir is None:
        return load(directory)
    key = hashlib.sha256(f"{directory.resolve()}\0{fingerprint(directory)}\0{code_version()}".encode())
    path = cache_dir / f"config-{key.hexdigest()[:24]}.pickle"
    if _private(cache_dir) and _private(path):
        try:
            config = pickle.loads(path.read_bytes())
            if isinstance(config, Config):
                return config
        except Exception:  # noqa: BLE001 - damaged or stale: parse instead (and rewrite it)
            pass
    config = load(directory)
    _store(cache_dir, path, config)
    return config


def _lazy(config: Config) -> Config:
    """Return `config` with each plan's actions as one pickled blob."""
    blobs = {pid: LazyActions(pickle.dumps(tuple(p.actions), protocol=pickle.HIGHEST_PROTOCOL))
             for pid, p in config.plans.items()}  # fmt: skip
    return replace(config, plans={pid: replace(p, actions=blobs[pid]) for pid, p in config.plans.items()})


def _store(cache_dir: Path, path: Path, config: Config) -> None:
    """Write the cache file atomically, replacing older ones; a cache that cannot be written is
    simply not used."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(cache_dir):
            return
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            fh.write(pickle.dumps(_lazy(config), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
        for old in cache_dir.glob("config-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
