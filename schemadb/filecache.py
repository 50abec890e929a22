"""Per-folder caches that keep every command fast on histories of thousands of files.

- The scan cache maps each file's (device, inode, size, mtime, ctime) to what reading it found (its
  checksum, transaction mode, …). The ctime changes on every write to a file and cannot be set by its
  owner, so a file that changed in any way is always read and hashed again: the cache can make
  schemadb faster, never blind to a changed migration.
- The facts cache maps a file's checksum to its statements as the parser saw them (sqltext.parse), so
  lint, validate and the runner parse each version of a file once.

They live in $SCHEMADB_CACHE_DIR, else $XDG_CACHE_HOME/schemadb, else ~/.cache/schemadb (mode 0700, files
0600); SCHEMADB_CACHE_DIR=off turns them off. Any failure to read or write them is ignored: they are
only caches.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_SCAN_VERSION = 3  # bump when what migrations._read() records changes


def cache_dir() -> Path | None:
    raw = os.environ.get("SCHEMADB_CACHE_DIR")
    if raw is not None and raw.strip().lower() in ("", "off", "0", "none"):
        return None
    if raw:
        return Path(raw)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "schemadb"


def _load(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except (OSError, ValueError):
        return {}


def _save(path: Path, doc: dict) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        pass


class _Store:
    kind = ""
    version = 0

    def __init__(self, directory: Path):
        root = cache_dir()
        key = hashlib.sha256(os.path.realpath(directory).encode()).hexdigest()[:16]
        self.path = root / f"{self.kind}-{key}.json" if root else None
        self._entries: dict | None = None
        self._used: set = set()
        self._dirty = False

    @property
    def entries(self) -> dict:
        if self._entries is None:
            doc = _load(self.path) if self.path else {}
            self._entries = doc.get("entries", {}) if doc.get("version") == self.version else {}
        return self._entries

    def get(self, key: str):
        value = self.entries.get(key)
        if value is not None:
            self._used.add(key)
        return value

    def put(self, key: str, value) -> None:
        self.entries[key] = value
        self._used.add(key)
        self._dirty = True

    def save(self, keep: set | None = None) -> None:
        """Write back, keeping the entries in `keep` (default: those this run used), so that entries of
        files deleted or changed drop out."""
        if not self.path or self._entries is None:
            return
        keep = self._used if keep is None else keep
        if not self._dirty and keep >= self._entries.keys():
            return
        _save(self.path, {"version": self.version,
                          "entries": {k: v for k, v in self._entries.items() if k in keep}})


class ScanCache(_Store):
    kind = "scan"
    version = _SCAN_VERSION

    @staticmethod
    def key(relpath: str, st: os.stat_result) -> str:
        return f"{relpath}\x00{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


class FactsCache(_Store):
    """checksum -> [statements] or {"error": [message, offset]}."""

    kind = "facts"

    @property
    def version(self) -> int:  # type: ignore[override]
        from .sqltext import FACTS_VERSION

        return FACTS_VERSION
