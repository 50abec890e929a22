"""Migration files on disk: discovery, pairing and the checks that need no database.

A migration is migrations/NNNN_snake_name.sql (4+ digits) and its inverse rollback/NNNN_snake_name.sql.
A first line `-- schemadb:no-transaction` runs the file statement by statement outside a transaction.
A migration file with no statement (empty, or only comments) is a no-op migration; a rollback file with
no statement marks its migration irreversible. A file still exactly as `schemadb new` wrote it was
never written, and is refused.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .filecache import ScanCache
from .sqltext import LARGE, has_statement

NAME_RE = re.compile(r"^(?P<version>\d{4,})_(?P<name>[a-z0-9]+(?:_[a-z0-9]+)*)\.sql$")
DIRECTIVE_RE = re.compile(r"^\s*--\s*schemadb\s*:\s*no-transaction\s*$")
_HEAD = 65536  # bytes read to judge the first line and whether a large file has a statement


def placeholder_texts(version: str, name: str) -> tuple[str, str]:
    """What `schemadb new` writes: a file still exactly like this was never written."""
    up = (f"-- {version} {name}\n-- Runs in one transaction (first line `-- schemadb:no-transaction` "
          "to run statement by statement).\n\n")
    down = f"-- Rollback of {version} {name}: restore the schema exactly as it was before it.\n\n"
    return up, down


class FileChanged(Exception):
    """A file changed between the scan and its use."""


class SqlFile:
    """One migration or rollback file as the scan found it (a plain class with slots: a scan makes
    thousands of them on long histories)."""

    __slots__ = ("file", "version", "name", "checksum", "transactional", "has_statement", "size", "facts_key",
                 "_text", "_path")

    def __init__(self, file: str | Path, version: str, name: str, checksum: str, transactional: bool,
                 has_statement: bool = True, size: int = 0, facts_key: str | None = None):
        self.file = str(file)  # the path as found
        self.version = version
        self.name = name
        self.checksum = checksum  # file_checksum(): sha256 of the file's bytes, lint allow directives left out
        self.transactional = transactional
        self.has_statement = has_statement
        self.size = size
        # what the parsed statements are cached under: the checksum, unless allow lines were left out of it
        # (their lines still count in the statements' positions, so the whole file's digest)
        self.facts_key = facts_key or checksum
        self._text: str | None = None
        self._path: Path | None = None

    def __repr__(self) -> str:
        return f"SqlFile({self.file!r}, {self.checksum[:12]})"

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(self.file)
        return self._path

    @property
    def key(self) -> int:
        return int(self.version)

    @property
    def text(self) -> str:
        """The decoded text (BOM removed), read on first use and checked against the scanned checksum."""
        if self._text is not None:
            return self._text
        data = self.read_bytes()
        text = data.decode("utf-8")
        text = text[1:] if text.startswith("\ufeff") else text
        if len(text) <= LARGE:  # a large file is decoded again when needed, not kept while it is sent
            self._text = text
        return text

    def read_bytes(self) -> bytes:
        with open(self.file, "rb") as fh:
            data = fh.read()
        # every byte as scanned (facts_key is the whole file's digest): the parsed statements' positions, cached
        # under it, must be those of the text that runs, allow lines included
        if hashlib.sha256(data).hexdigest() != self.facts_key:
            raise FileChanged(f"{self.display()}: changed while schemadb was running; nothing of it was run")
        return data

    def display(self, root: Path | None = None) -> str:
        """The path as the user can open it: relative to the working directory when under it."""
        full = os.path.abspath(self.file)
        cwd = os.getcwd() + os.sep
        return full[len(cwd):] if full.startswith(cwd) else full


@dataclass
class Migration:
    version: str
    name: str
    up: SqlFile | None = None
    down: SqlFile | None = None

    @property
    def key(self) -> int:
        return int(self.version)

    @property
    def irreversible(self) -> bool:
        """Its rollback file has no statement, while the migration does something."""
        return bool(self.down and not self.down.has_statement and self.up and self.up.has_statement)


@dataclass
class Scan:
    directory: Path
    migrations: list[Migration] = field(default_factory=list)  # sorted by version
    problems: list[Problem] = field(default_factory=list)

    def by_key(self) -> dict[int, Migration]:
        return {m.key: m for m in self.migrations}

    @property
    def irreversible(self) -> list[Migration]:
        return [m for m in self.migrations if m.irreversible]


def _nul_line(data: bytes) -> int | None:
    i = data.find(b"\x00")
    return None if i < 0 else data.count(b"\n", 0, i) + 1


def _utf8_error(data: bytes) -> UnicodeDecodeError | None:
    """Validate UTF-8 without keeping a decoded copy of a large file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    try:
        for i in range(0, len(data), step):
            decoder.decode(data[i:i + step], final=i + step >= len(data))
        if not data:
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        offset = i + e.start
        return UnicodeDecodeError("utf-8", data, offset, offset + 1, e.reason)
    return None


_ALLOW_LINE = re.compile(rb"^[ \t]*--[ \t]*schemadb:allow\b[^\n]*(?:\n|$)", re.M)


def file_checksum(data: bytes) -> str:
    """sha256 of a file's bytes without its `-- schemadb:allow RULE reason` lines: an allow directive is a note
    about the lint, not SQL, so adding one to a file that is already applied in production is not a change."""
    return _digests(data)[0]


def _digests(data: bytes) -> tuple[str, str | None]:
    """(file_checksum, the digest of all the bytes when allow lines were left out of the checksum, else None)."""
    if b"schemadb:allow" in data:
        stripped = _ALLOW_LINE.sub(b"", data)
        if stripped != data:
            return hashlib.sha256(stripped).hexdigest(), hashlib.sha256(data).hexdigest()
    return hashlib.sha256(data).hexdigest(), None


def _read(path: str, version: str, name: str) -> list:
    """[checksum, transactional, has_statement, size, problem kind or None, problem message or None,
    facts key or None]."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        return ["", True, True, 0, "unreadable", f"{path}: cannot be read ({e.strerror})", None]
    checksum, whole = _digests(data)
    bad = _utf8_error(data)
    if bad is not None:
        line = data[: bad.start].count(b"\n") + 1
        return [checksum, True, True, len(data), "not_utf8",
                f"{path}:{line}: not UTF-8 (byte 0x{data[bad.start]:02x} at offset {bad.start})", None]
    line = _nul_line(data)
    if line is not None:
        return [checksum, True, True, len(data), "nul_byte",
                f"{path}:{line}: contains a NUL byte (PostgreSQL would silently cut the file there)", None]
    head = data[:_HEAD].decode("utf-8", errors="ignore") if len(data) > LARGE else data.decode("utf-8")
    if head.startswith("\ufeff"):
        head = head[1:]
    transactional = not DIRECTIVE_RE.match(head.split("\n", 1)[0].rstrip("\r"))
    stated = has_statement(head) or (len(data) > LARGE and has_statement(data.decode("utf-8")))
    if head in placeholder_texts(version, name):
        folder = os.path.basename(os.path.dirname(path))
        return [checksum, transactional, stated, len(data), "placeholder",
                f"{path}: still exactly what `schemadb new` wrote ({folder} file never written); write it, "
                "or, for a rollback that cannot undo its migration, replace it with a comment saying why", whole]
    return [checksum, transactional, stated, len(data), None, None, whole]


def _load_dir(folder: Path, sub: str, cache: ScanCache, problems: list[Problem],
              unusable: set[int]) -> dict[int, SqlFile]:
    """Files by version key; `unusable` collects the keys of well-named files that cannot be used
    (unreadable, not UTF-8, …), so that their pair is not reported missing as well.

    This runs on every command over every file, so it does one stat per file and little else."""
    files: dict[int, SqlFile] = {}
    try:
        entries = sorted(os.scandir(folder), key=_entry_name)
    except FileNotFoundError:
        return files
    except OSError as e:
        problems.append(Problem("unreadable", f"{folder}: cannot be listed ({e.strerror})", str(folder)))
        return files
    key_of, get = cache.key, cache.get
    for entry in entries:
        fname = entry.name
        if fname[0] == "." or fname.startswith(("README", "readme")):
            continue
        path = entry.path
        try:
            st = entry.stat()  # follows a symbolic link; fails for a dangling one
            mode = st.st_mode
        except OSError:
            st, mode = None, 0
        if stat.S_ISDIR(mode):
            continue
        m = NAME_RE.match(fname)
        if not stat.S_ISREG(mode):
            what = "a dangling symbolic link" if st is None else "not a regular file"
            problems.append(Problem("not_a_file", f"{path}: {what}; remove it or point it at a migration file",
                                    path, m.group("version") if m else None))
            if m:
                unusable.add(int(m.group("version")))
            continue
        if not m:
            problems.append(Problem(
                "malformed_name",
                f"{path}: malformed name; expected NNNN_snake_name.sql (4+ digits, lower-case snake_case)", path))
            continue
        version, name = m.group("version"), m.group("name")
        key = key_of(f"{sub}/{fname}", st)
        facts = get(key)
        if facts is None:
            facts = _read(path, version, name)
            if facts[4] != "unreadable":
                cache.put(key, facts)
        if facts[4] is not None:
            problems.append(Problem(facts[4], facts[5], path, version))
            unusable.add(int(version))
            continue
        k = int(version)
        if k in files:
            problems.append(Problem("duplicate_version", f"{path}: version {version} is also used by "
                                    f"{os.path.basename(files[k].file)}", path, version))
            continue
        files[k] = SqlFile(path, version, name, facts[0], facts[1], facts[2], facts[3], facts[6])
    return files


def read_file(path: str | Path) -> SqlFile:
    """One file named on the command line (lint FILE...): any name; a migration's version when it has one.
    Raises ConfigError for a file that cannot be used (missing, unreadable, not UTF-8, NUL byte)."""
    from .errors import ConfigError

    path = str(path)
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: {'not a regular file' if os.path.exists(path) else 'no such file'}")
    m = NAME_RE.match(os.path.basename(path))
    version, name = (m.group("version"), m.group("name")) if m else ("0", os.path.basename(path))
    facts = _read(path, version, name)
    if facts[4] not in (None, "placeholder"):
        raise ConfigError(facts[5])
    return SqlFile(path, version, name, facts[0], facts[1], facts[2], facts[3], facts[6])


def _entry_name(e: os.DirEntry) -> str:
    return e.name


def scan(directory: Path) -> Scan:
    """Read migrations/ and rollback/ under `directory`, pair them, and list every file problem."""
    result = Scan(directory=directory)
    mig_dir, rb_dir = directory / "migrations", directory / "rollback"
    if not mig_dir.is_dir():
        what = "not a folder" if mig_dir.exists() else "no such folder"
        result.problems.append(Problem("no_migrations_dir", f"{mig_dir}: {what}", str(mig_dir)))
        return result
    cache = ScanCache(directory)
    unusable: set[int] = set()
    ups = _load_dir(mig_dir, "migrations", cache, result.problems, unusable)
    downs = _load_dir(rb_dir, "rollback", cache, result.problems, unusable)
    cache.save()
    for key in sorted(set(ups) | set(downs)):
        up, down = ups.get(key), downs.get(key)
        if key in unusable:
            pass  # already reported
        elif up and down and up.name != down.name:
            result.problems.append(
                Problem("missing_rollback",
                        f"{up.path}: its rollback must be named rollback/{up.path.name} (found {down.path.name})",
                        str(up.path), up.version)
            )
        elif up and not down:
            result.problems.append(
                Problem("missing_rollback", f"{up.path}: no rollback file rollback/{up.path.name}",
                        str(up.path), up.version)
            )
        elif down and not up:
            result.problems.append(
                Problem("missing_migration", f"{down.path}: rollback without migration migrations/{down.path.name}",
                        str(down.path), down.version)
            )
        src = up or down
        assert src is not None
        result.migrations.append(Migration(version=src.version, name=src.name, up=up, down=down))
    return result


def next_version(scan_: Scan) -> str:
    width = max((len(m.version) for m in scan_.migrations), default=4)
    top = max((m.key for m in scan_.migrations), default=0)
    return str(top + 1).zfill(width)


def normalize_name(raw: str) -> str:
    name = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    if not re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", name):
        raise ValueError(f"bad migration name {raw!r}: use letters, digits and underscores (snake_case)")
    return name
