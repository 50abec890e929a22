"""Commands that write the history without running migrations: baseline, repair, new, and the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Settings
from .errors import ConfigError, ValidationError
from .migrations import Scan, next_version, normalize_name, placeholder_texts, scan
from .state import directory_of, refuse


@dataclass
class RecordResult:
    """baseline / repair: the history rows written."""

    command: str
    versions: list[dict]
    notes: list[str] = field(default_factory=list)
    closed: list[dict] = field(default_factory=list)  # repair: unfinished no-transaction runs closed

    def to_json(self) -> dict:
        return {"command": self.command, "versions": self.versions, "closed": self.closed, "notes": self.notes}


@dataclass
class NewResult:
    version: str
    migration: str
    rollback: str
    files: list[dict] = field(default_factory=list)  # every pair written (templates may write several)
    template: str | None = None

    def to_json(self) -> dict:
        return {"command": "new", **self.__dict__}


@dataclass
class LogResult:
    entries: list[dict]

    def to_json(self) -> dict:
        return {"command": "log", "entries": self.entries}


def _version_key(value: str) -> int:
    if not str(value).isdigit():
        raise ConfigError(f"bad version {value!r}: expected digits, e.g. 0003")
    return int(value)


def baseline(settings: Settings, version: str, emit=None) -> RecordResult:
    """Record migrations up to `version` as applied without running them."""
    from .execute import new_run_id
    from .interrupts import deferred
    from .runner import session

    key = _version_key(version)
    root = directory_of(settings)
    sc = scan(root)
    refuse(sc.problems, "baseline")
    with session(settings, "baseline", lock=True, emit=emit) as (conn, history):
        applied = history.applied(conn)
        todo = [m for m in sc.migrations if m.key <= key and m.key not in applied]
        if not any(m.key <= key for m in sc.migrations):
            raise ValidationError(f"baseline refused: no migration at or below version {version}")
        run_id = new_run_id()
        with deferred(), conn.transaction():
            for m in todo:
                assert m.up is not None and m.down is not None
                conn.execute(history.q("history_insert", version=m.version, name=m.name, checksum=m.up.checksum,
                                       rollback_checksum=m.down.checksum, transactional=m.up.transactional,
                                       duration_ms=None))
                history.log(conn, run_id=run_id, action="baseline", version=m.version, name=m.name,
                            checksum=m.up.checksum, outcome="ok", transactional=m.up.transactional)
    notes = [] if todo else [f"nothing to record: every migration up to {version} is already recorded"]
    return RecordResult("baseline", [{"version": m.version, "name": m.name} for m in todo], notes)


def repair(settings: Settings, emit=None) -> RecordResult:
    """Re-record the checksums of changed files, and close unfinished no-transaction runs (after a DBA
    reviewed them: the next run of such a file starts again at its first statement)."""
    from .execute import new_run_id
    from .interrupts import deferred
    from .runner import session

    root = directory_of(settings)
    sc = scan(root)
    refuse(sc.problems, "repair")
    notes: list[str] = []
    with session(settings, "repair", lock=True, emit=emit) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
        files = sc.by_key()
        changed = []
        for k, a in sorted(applied.items()):
            m = files.get(k)
            if m is None or m.up is None:
                notes.append(f"{a.version} {a.name}: file missing; left recorded (restore the file, or roll back)")
                continue
            if m.up.checksum != a.checksum or (m.down and m.down.checksum != a.rollback_checksum):
                changed.append((m, a))
        run_id = new_run_id()
        closed = []
        with deferred(), conn.transaction():
            for m, a in changed:
                conn.execute(history.q("history_repair", version=a.version, name=m.name, checksum=m.up.checksum,
                                       rollback_checksum=m.down.checksum if m.down else None))
                what = []
                if a.checksum != m.up.checksum:
                    what.append(f"checksum was {a.checksum}")
                if m.down and a.rollback_checksum != m.down.checksum:
                    what.append(f"rollback checksum was {a.rollback_checksum}")
                history.log(conn, run_id=run_id, action="repair", version=a.version, name=m.name,
                            checksum=m.up.checksum, outcome="ok", error="; ".join(what) or None)
            for (_k, name, action), p in sorted(progress.items()):
                conn.execute(history.q("log_close", id=p.log_id))
                history.log(conn, run_id=run_id, action="repair", version=p.version, name=name, outcome="ok",
                            notes={"closed_run": p.log_id, "action": action, "statements_done": p.statements_done})
                closed.append({"version": p.version, "name": name, "action": action,
                               "statements_done": p.statements_done, "log_id": p.log_id})
    versions = [{"version": a.version, "name": m.name, "old_checksum": a.checksum, "new_checksum": m.up.checksum,
                 "old_rollback_checksum": a.rollback_checksum,
                 "new_rollback_checksum": m.down.checksum if m.down else None} for m, a in changed]
    for c in closed:
        notes.append(f"closed the unfinished no-transaction {c['action']} of {c['version']} {c['name']} "
                     f"({c['statements_done']} statement(s) had run): its next run starts at statement 1")
    if not changed and not closed:
        notes.append("nothing to repair: every applied file matches its recorded checksums, and no "
                     "no-transaction run is unfinished")
    return RecordResult("repair", versions, notes, closed)


def new(settings: Settings, raw_name: str, template: str | None = None,
        values: dict[str, str] | None = None) -> NewResult:
    """The next-numbered pair (or, from a template, pairs: next free versions, in order); nothing is written
    unless everything renders and every target can be written."""
    from . import templates
    from .resources import is_source_checkout, reference_dir

    if settings.directory is None and not is_source_checkout(reference_dir()):
        raise ConfigError("schemadb new writes files: pass --dir (or set SCHEMADB_DIR) to your project's folder")
    root = settings.directory or reference_dir()
    try:
        name = normalize_name(raw_name)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    sc = scan(root) if (root / "migrations").is_dir() else Scan(root)
    version = next_version(sc)
    if template is None:
        if values:
            raise ConfigError("--set needs --template")
        rendered = [("", *placeholder_texts(version, name))]
    else:
        _t, rendered = templates.render(root, template, values or {}, templates.provenance(name, template, values or {}))
    width, first = len(version), int(version)
    names = []
    for i, (suffix, _up, _down) in enumerate(rendered):
        try:
            full = normalize_name(f"{name}_{suffix}") if suffix else name
        except ValueError as e:
            raise ConfigError(f"template {template}: {e}") from None
        names.append((str(first + i).zfill(width), full))
    if len({n for _, n in names}) != len(names):
        raise ConfigError(f"template {template}: two of its migrations have the same name")
    pairs = [(f"{v}_{n}.sql", up, down) for (v, n), (_s, up, down) in zip(names, rendered, strict=True)]
    paths = write_pairs(root, pairs)
    files = [{"version": v, "name": n, "migration": str(up), "rollback": str(down)}
             for (v, n), (up, down) in zip(names, paths, strict=True)]
    return NewResult(version, str(paths[0][0]), str(paths[0][1]), files, template)


def write_pairs(root, pairs: list[tuple[str, str, str]]) -> list[tuple]:
    """Write migration/rollback pairs, all or none: every target is checked first (folders that are files,
    read-only folders, files that exist), so a refusal leaves nothing behind."""
    import os

    mig_dir, rb_dir = root / "migrations", root / "rollback"
    for folder in (mig_dir, rb_dir):
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{folder}: not a folder; nothing was written")
        parent = folder
        while not parent.exists() and parent != parent.parent:  # the folders are created, parents too
            parent = parent.parent
        if not parent.is_dir():
            raise ConfigError(f"{parent}: not a folder; nothing was written")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(f"{parent}: not writable; nothing was written")
    out = []
    for fname, _up, _down in pairs:
        up, down = mig_dir / fname, rb_dir / fname
        for p in (up, down):
            if p.exists():
                raise ConfigError(f"{p}: already exists; nothing was written")
        out.append((up, down))
    written: list = []
    try:
        mig_dir.mkdir(parents=True, exist_ok=True)
        rb_dir.mkdir(parents=True, exist_ok=True)
        for (up, down), (_f, up_text, down_text) in zip(out, pairs, strict=True):
            for p, text in ((up, up_text), (down, down_text)):
                with open(p, "x", encoding="utf-8") as fh:
                    fh.write(text)
                written.append(p)
    except OSError as e:
        for p in written:
            p.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the new files ({e.strerror}: {e.filename}); nothing was written") from None
    return out


def history_log(settings: Settings, limit: int = 20) -> LogResult:
    from .runner import session

    with session(settings, "log", lock=False) as (conn, history):
        return LogResult(history.recent_log(conn, limit))
