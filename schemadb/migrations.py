"""Migration files on disk: discovery, pairing and the checks that need no database.

A migration is migrations/NNNN_snake_name.sql (4+ digits) and its inverse rollback/NNNN_snake_name.sql.
A first line `-- schemadb:no-transaction` runs the file statement by statement outside a transaction.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem

NAME_RE = re.compile(r"^(?P<version>\d{4,})_(?P<name>[a-z0-9]+(?:_[a-z0-9]+)*)\.sql$")
DIRECTIVE_RE = re.compile(r"^\s*--\s*schemadb\s*:\s*no-transaction\s*$")
_IGNORED = re.compile(r"^(\.|README|readme)")


@dataclass(frozen=True)
class SqlFile:
    path: Path
    version: str
    name: str
    checksum: str  # sha256 of the file's bytes
    text: str  # decoded, BOM removed
    transactional: bool

    @property
    def key(self) -> int:
        return int(self.version)

    def display(self, root: Path | None = None) -> str:
        """The path as the user can open it: relative to the working directory when under it."""
        try:
            return str(self.path.resolve().relative_to(Path.cwd()))
        except (ValueError, OSError):
            return str(self.path)


@dataclass
class Migration:
    version: str
    name: str
    up: SqlFile | None = None
    down: SqlFile | None = None

    @property
    def key(self) -> int:
        return int(self.version)


@dataclass
class Scan:
    directory: Path
    migrations: list[Migration] = field(default_factory=list)  # sorted by version
    problems: list[Problem] = field(default_factory=list)

    def by_key(self) -> dict[int, Migration]:
        return {m.key: m for m in self.migrations}


def is_empty_sql(text: str) -> bool:
    """Nothing but white space and -- comments."""
    return all(not line.strip() or line.lstrip().startswith("--") for line in text.splitlines())


def load_file(path: Path, problems: list[Problem]) -> SqlFile | None:
    m = NAME_RE.match(path.name)
    if not m:
        problems.append(
            Problem(
                "malformed_name",
                f"{path}: malformed name; expected NNNN_snake_name.sql (4+ digits, lower-case snake_case)",
                str(path),
            )
        )
        return None
    with open(os.fspath(path), "rb") as fh:  # plain open: this runs for every file on every command
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.append(
            Problem("not_utf8", f"{path}:{line}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
                    str(path), m.group("version"))
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if is_empty_sql(text):
        problems.append(Problem("empty_file", f"{path}: empty file (no SQL statement)", str(path), m.group("version")))
        return None
    first_line = text.split("\n", 1)[0].rstrip("\r")
    return SqlFile(
        path=path,
        version=m.group("version"),
        name=m.group("name"),
        checksum=hashlib.sha256(data).hexdigest(),
        text=text,
        transactional=not DIRECTIVE_RE.match(first_line),
    )


def _load_dir(folder: Path, problems: list[Problem], unusable: set[int]) -> dict[int, SqlFile]:
    """Files by version key; `unusable` collects the keys of well-named files that cannot be used
    (empty, not UTF-8), so that their pair is not reported missing as well."""
    files: dict[int, SqlFile] = {}
    if not folder.is_dir():
        return files
    # os.scandir and plain string sorting: this runs on every command, over every file
    entries = sorted((e.name, e.path) for e in os.scandir(folder) if not _IGNORED.match(e.name) and not e.is_dir())
    for _name, entry_path in entries:
        path = Path(entry_path)
        f = load_file(path, problems)
        if f is None:
            m = NAME_RE.match(path.name)
            if m:
                unusable.add(int(m.group("version")))
            continue
        if f.key in files:
            other = files[f.key]
            problems.append(
                Problem("duplicate_version", f"{path}: version {f.version} is also used by {other.path.name}",
                        str(path), f.version)
            )
            continue
        files[f.key] = f
    return files


def scan(directory: Path) -> Scan:
    """Read migrations/ and rollback/ under `directory`, pair them, and list every file problem."""
    result = Scan(directory=directory)
    mig_dir, rb_dir = directory / "migrations", directory / "rollback"
    if not mig_dir.is_dir():
        result.problems.append(Problem("no_migrations_dir", f"{mig_dir}: no such folder", str(mig_dir)))
        return result
    unusable: set[int] = set()
    ups = _load_dir(mig_dir, result.problems, unusable)
    downs = _load_dir(rb_dir, result.problems, unusable)
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
