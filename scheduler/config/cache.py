"""A cache of the validated config, so that an unchanged config folder costs a hash, not a parse.

Parsing and validating is linear in the number of actions (seconds at 100,000); hashing the
files' bytes is milliseconds. After a successful load the `Config` is pickled under a key made
of the files' fingerprint, the folder's path and this code's version; the next load with the same
key unpickles it. A config with errors is never cached, so every error is still reported.

Most commands never look at a plan's actions (a run reads them from the database), so each
plan's actions stay in the file, pickled apart, and are read and unpickled on first use
(`LazyActions`): a cached config of a million actions costs its owners and plans in memory.

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
    """A plan's actions, unpickled from the cache file when first read (iterated, indexed or
    counted); until then they cost a file offset, not memory."""

    def __init__(self, offset: int, length: int, count: int | None = None):
        self.offset, self.length, self.count = offset, length, count
        self.file = None  # the open cache file, attached by load_cached

    @cached_property
    def items(self) -> tuple:
        return self._load()

    def _load(self) -> tuple:
        return pickle.loads(os.pread(self.file.fileno(), self.length, self.offset))

    def __iter__(self):
        # A pass over every plan (sync, validate) must not end with every action in memory:
        # iterating reads the plan's actions for this pass only, unless they were kept already.
        return iter(self.__dict__.get("items") or self._load())

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self) -> int:
        return self.count if self.count is not None else len(self.items)

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.items)

    def __getstate__(self) -> dict:
        return {"offset": self.offset, "length": self.length, "count": self.count, "file": None}


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
            return _read(path)
        except Exception:  # noqa: BLE001 - damaged or stale: parse instead (and rewrite it)
            pass
    return _parse_and_store(directory, cache_dir, path, load)


# The file: each plan's actions pickled one after another, then the config (its plans' actions
# as LazyActions offsets into the file), then 8 bytes giving the config's length.
_TRAILER = 8


def _read(path: Path) -> Config:
    """Return the cached config; its actions are read from the (kept open) file when first used,
    so a newer cache entry replacing this file does not change them."""
    fh = path.open("rb")
    try:
        size = os.fstat(fh.fileno()).st_size
        length = int.from_bytes(os.pread(fh.fileno(), _TRAILER, size - _TRAILER), "big")
        config = pickle.loads(os.pread(fh.fileno(), length, size - _TRAILER - length))
        if not isinstance(config, Config):
            raise ValueError("not a cached config")
        for plan in config.plans.values():
            plan.actions.file = fh
        return config
    except BaseException:
        fh.close()
        raise


class _Spill:
    """Writes each plan's actions to the cache file as soon as the plan is validated and gives the
    plan back with `LazyActions` into that file: a first parse of a million actions never holds
    them all in memory (the `spill` that `load_config` calls per plan)."""

    def __init__(self, fh):
        self.fh, self.offset = fh, 0

    def __call__(self, plan):
        blob = pickle.dumps(tuple(plan.actions), protocol=pickle.HIGHEST_PROTOCOL)
        self.fh.write(blob)
        lazy = LazyActions(self.offset, len(blob), len(plan.actions))
        lazy.file = self.fh
        self.offset += len(blob)
        return replace(plan, actions=lazy)


def _parse_and_store(directory: Path, cache_dir: Path, path: Path, load: Callable) -> Config:
    """Parse `directory` with its actions spilled into a new cache file, then put the file in place
    (atomically, replacing older ones); without a usable cache folder, parse in memory."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(cache_dir):
            return load(directory)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".pickle")
    except OSError:
        return load(directory)
    fh = os.fdopen(fd, "w+b")
    try:
        config = load(directory, spill=_Spill(fh))
        head = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)  # LazyActions pickle as offsets
        fh.write(head + len(head).to_bytes(_TRAILER, "big"))
        fh.flush()
        os.replace(tmp, path)  # the open file stays readable for this config's actions
    except BaseException:
        fh.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in cache_dir.glob("config-*.pickle"):
        if old != path:
            old.unlink(missing_ok=True)
    return config
