"""The commands' library functions: migrate, rollback, status, validate, baseline, repair, new.

They return result objects and never print; progress goes to the `emit` callback
(the CLI renders it). Expected failures are SchemadbError subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .errors import ConfigError, MigrationError, Problem, ValidationError
from .migrations import Migration, Scan, next_version, normalize_name, scan

Emit = Callable[..., None]


def _noop(*_args, **_kw) -> None:
    pass


# --- results ---------------------------------------------------------------------------------


@dataclass
class Entry:
    version: str
    name: str
    state: str  # applied | pending | changed | missing
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    transactional: bool | None = None
    resume_at: int | None = None  # unfinished no-transaction file: next statement (1-based)

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class StatusResult:
    directory: str
    history_table: str
    entries: list[Entry]
    current_version: str | None

    @property
    def counts(self) -> dict[str, int]:
        out = {"applied": 0, "pending": 0, "changed": 0, "missing": 0}
        for e in self.entries:
            out[e.state] += 1
        return out

    def to_json(self) -> dict:
        return {"command": "status", "directory": self.directory, "history_table": self.history_table,
                "current_version": self.current_version, "counts": self.counts,
                "migrations": [e.to_json() for e in self.entries]}


@dataclass
class RunResult:
    """migrate / rollback: what ran (or would run, with dry_run)."""

    command: str
    dry_run: bool
    done: list = field(default_factory=list)  # FileRun
    planned: list[Entry] = field(default_factory=list)
    current_version: str | None = None
    total_ms: int = 0
    error: MigrationError | None = None

    def to_json(self) -> dict:
        key = "applied" if self.command == "migrate" else "rolled_back"
        return {"command": self.command, "dry_run": self.dry_run,
                key: [r.to_json() for r in self.done],
                "planned": [{"version": e.version, "name": e.name} for e in self.planned],
                "current_version": self.current_version, "total_ms": self.total_ms,
                "error": self.error.to_json() if self.error else None}


@dataclass
class ValidateResult:
    directory: str
    migrations: int
    problems: list[Problem]
    checked_database: bool

    def to_json(self) -> dict:
        return {"command": "validate", "directory": self.directory, "migrations": self.migrations,
                "checked_database": self.checked_database, "ok": not self.problems,
                "problems": [p.to_json() for p in self.problems]}


@dataclass
class RecordResult:
    """baseline / repair: the history rows written."""

    command: str
    versions: list[dict]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"command": self.command, "versions": self.versions, "notes": self.notes}


@dataclass
class NewResult:
    version: str
    migration: str
    rollback: str

    def to_json(self) -> dict:
        return {"command": "new", **self.__dict__}


# --- shared steps ----------------------------------------------------------------------------


def directory_of(settings: Settings) -> Path:
    from .resources import reference_dir

    d = settings.directory or reference_dir()
    if not d.is_dir():
        raise ConfigError(f"{d}: no such folder (--dir / SCHEMADB_DIR)")
    return d


def _display(m_file, root: Path) -> str:
    return m_file.display(root)


def entries_of(sc: Scan, applied: dict, progress: dict) -> list[Entry]:
    out: list[Entry] = []
    keys = sorted(set(sc.by_key()) | set(applied))
    files = sc.by_key()
    for k in keys:
        m, a = files.get(k), applied.get(k)
        if a is None:
            p = progress.get((k, "apply"))
            out.append(Entry(m.version, m.name, "pending", resume_at=p.statements_done + 1 if p else None))
            continue
        if m is None or m.up is None:
            state = "missing"
        elif m.up.checksum != a.checksum:
            state = "changed"
        else:
            state = "applied"
        out.append(Entry(a.version, a.name, state, a.applied_at.isoformat(timespec="seconds"), a.applied_by,
                         a.duration_ms, a.transactional))
    return out


def database_problems(sc: Scan, applied: dict, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    files = sc.by_key()
    top = max(applied, default=None)
    for k, a in sorted(applied.items()):
        m = files.get(k)
        if m is None or m.up is None:
            problems.append(Problem("missing_file", f"{a.version} {a.name}: applied, but "
                                    f"migrations/{a.version}_{a.name}.sql is gone", version=a.version))
        elif m.up.checksum != a.checksum:
            problems.append(Problem(
                "changed", f"{_display(m.up, root)}: changed since it was applied on "
                f"{a.applied_at:%Y-%m-%d %H:%M}; restore it, or run `schemadb repair` after review",
                str(m.up.path), a.version))
    for k, m in sorted(files.items()):
        if k not in applied and top is not None and k < top and m.up is not None:
            problems.append(Problem(
                "out_of_order", f"{_display(m.up, root)}: pending, but older than the newest applied version "
                f"{applied[top].version}", str(m.up.path), m.version))
    return problems


def transaction_control_problems(migrations: list[Migration], root: Path, down: bool = False) -> list[Problem]:
    """BEGIN/COMMIT/ROLLBACK inside a transactional file would break its atomicity."""
    files = [(m.down if down else m.up) for m in migrations]
    if not any(f is not None and f.transactional for f in files):
        return []
    import pglast
    from pglast.ast import TransactionStmt
    from pglast.enums import TransactionStmtKind as K

    allowed = {K.TRANS_STMT_SAVEPOINT, K.TRANS_STMT_RELEASE, K.TRANS_STMT_ROLLBACK_TO}
    problems = []
    for m in migrations:
        f = m.down if down else m.up
        if f is None or not f.transactional:
            continue
        try:
            stmts = pglast.parse_sql(f.text)
        except Exception:
            continue  # the server is the judge of syntax; it reports file:line when it runs
        for raw in stmts:
            node = raw.stmt
            if isinstance(node, TransactionStmt) and node.kind not in allowed:
                from .db import position_to_line_col

                line, _ = position_to_line_col(f.text, raw.stmt_location or 0)
                problems.append(Problem(
                    "transaction_control",
                    f"{_display(f, root)}:{line}: transaction control ({node.kind.name.split('_')[-1]}) in a "
                    "transactional file; remove it (schemadb wraps each file in a transaction) or start the file "
                    "with -- schemadb:no-transaction", str(f.path), f.version))
                break
    return problems


@contextmanager
def session(settings: Settings, command: str, lock: bool, emit: Emit = _noop):
    """A connection (and, for commands that change things, the runner's advisory lock)."""
    from . import db
    from .history import History

    conn = db.connect(settings, command)
    history = History(settings)
    adv = None
    try:
        if lock:
            adv = db.AdvisoryLock(conn, f"migrate:{history.qualified}")
            adv.acquire(settings.lock_wait, on_wait=lambda h: emit("lock_wait", holder=h))
            history.ensure(conn)
        yield conn, history
    finally:
        if adv is not None:
            adv.release()
        conn.close()


# --- commands --------------------------------------------------------------------------------


def status(settings: Settings) -> StatusResult:
    root = directory_of(settings)
    sc = scan(root)
    with session(settings, "status", lock=False) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
    entries = entries_of(sc, applied, progress)
    current = max(applied.values(), key=lambda a: a.key).version if applied else None
    return StatusResult(str(root), history.qualified, entries, current)


def validate(settings: Settings, files_only: bool = False) -> ValidateResult:
    root = directory_of(settings)
    sc = scan(root)
    problems = list(sc.problems)
    problems += transaction_control_problems(sc.migrations, root)
    problems += transaction_control_problems(sc.migrations, root, down=True)
    if not files_only:
        with session(settings, "validate", lock=False) as (conn, history):
            problems += database_problems(sc, history.applied(conn), root)
    return ValidateResult(str(root), len(sc.migrations), problems, not files_only)


def _refuse(problems: list[Problem], what: str) -> None:
    if problems:
        raise ValidationError(f"{what} refused: {len(problems)} problem(s); nothing was changed", problems)


def migrate(settings: Settings, target: str | None = None, dry_run: bool = False, emit: Emit = _noop,
            backup_dir: str | None = None) -> RunResult:
    root = directory_of(settings)
    sc = scan(root)
    _refuse(sc.problems, "migrate")
    target_key = _version_key(target) if target is not None else None
    result = RunResult("migrate", dry_run)
    started = time.monotonic()
    if not dry_run and _nothing_pending(settings, sc, target_key, root, result):
        result.total_ms = int((time.monotonic() - started) * 1000)
        return result
    from .execute import Context, new_run_id, run_file  # only when there may be work to do

    with session(settings, "migrate", lock=not dry_run, emit=emit) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
        pending = [m for m in sc.migrations
                   if m.key not in applied and (target_key is None or m.key <= target_key)]
        _refuse(database_problems(sc, applied, root) + transaction_control_problems(pending, root), "migrate")
        result.planned = [Entry(m.version, m.name, "pending") for m in pending]
        result.current_version = max(applied.values(), key=lambda a: a.key).version if applied else None
        if dry_run:
            return result
        backup_file = None
        if backup_dir and pending:
            from .backup import backup

            taken = backup(settings, backup_dir, emit=emit)
            backup_file = taken.file
            emit("backup", result=taken)
        ctx = Context(conn, history, new_run_id(), settings.lock_timeout_ms, settings.retries, emit,
                      backup_file=backup_file)
        for m in pending:
            assert m.up is not None and m.down is not None
            emit("start", action="apply", version=m.version, name=m.name)
            finish = history.q("history_insert", version=m.version, name=m.name, checksum=m.up.checksum,
                               rollback_checksum=m.down.checksum, transactional=m.up.transactional,
                               duration_ms=_duration_expr(m.up.transactional))
            try:
                run = run_file(ctx, m.up, "apply", finish, m.up.transactional, _display(m.up, root),
                               progress.get((m.key, "apply")))
            except MigrationError as e:
                result.error = e
                break
            result.done.append(run)
            result.current_version = m.version
            emit("done", run=run)
        if result.done:
            _publish_schema_version(conn, result.current_version, emit)
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


def _publish_schema_version(conn, version: str | None, emit: Emit) -> None:
    """With SCHEMADB_REDIS_URL set, the new version invalidates every cached entry (schemadb.cache)."""
    import os

    url = os.environ.get("SCHEMADB_REDIS_URL")
    if not url:
        return
    import redis

    from .cache import namespace_for, publish_schema_version

    try:
        publish_schema_version(url, namespace_for(conn.info.dbname), version)
    except redis.RedisError as e:
        emit("warning", message=f"the cache was not invalidated (Redis: {e}); cached entries expire with their TTL")


def _nothing_pending(settings: Settings, sc: Scan, target_key: int | None, root: Path, result: RunResult) -> bool:
    """The common cron/CI case, answered without taking the lock: everything is applied and
    valid. (Anything else is re-read under the lock, so a concurrent runner is never raced.)"""
    with session(settings, "migrate", lock=False) as (conn, history):
        applied = history.applied(conn)
        if not applied or history.progress(conn):
            return False
    if any(m.key not in applied and (target_key is None or m.key <= target_key) for m in sc.migrations):
        return False
    _refuse(database_problems(sc, applied, root), "migrate")
    result.current_version = max(applied.values(), key=lambda a: a.key).version
    return True


def _duration_expr(transactional: bool):
    from .execute import _SERVER_DURATION  # noqa: I001

    # In a no-transaction file the history row is written last, in its own statement; the log row
    # carries the real duration.
    return _SERVER_DURATION if transactional else None


def _version_key(value: str) -> int:
    if not str(value).isdigit():
        raise ConfigError(f"bad version {value!r}: expected digits, e.g. 0003")
    return int(value)


def plan_rollback(applied: dict, steps: int | None, target: str | None, all_: bool) -> list[int]:
    newest_first = sorted(applied, reverse=True)
    if all_:
        return newest_first
    if target is not None:
        t = _version_key(target)
        return [k for k in newest_first if k > t]
    n = 1 if steps is None else steps
    if n < 1:
        raise ConfigError("--steps must be 1 or more")
    return newest_first[:n]


def rollback(settings: Settings, steps: int | None = None, target: str | None = None, all_: bool = False,
             dry_run: bool = False, emit: Emit = _noop) -> RunResult:
    from .execute import Context, new_run_id, run_file

    if sum(x is not None and x is not False for x in (steps, target, all_ or None)) > 1:
        raise ConfigError("give only one of --steps, --target and --all")
    root = directory_of(settings)
    sc = scan(root)
    _refuse(sc.problems, "rollback")
    result = RunResult("rollback", dry_run)
    started = time.monotonic()
    with session(settings, "rollback", lock=not dry_run, emit=emit) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
        keys = plan_rollback(applied, steps, target, all_)
        files = sc.by_key()
        problems = []
        for k in keys:
            m, a = files.get(k), applied[k]
            if m is None or m.down is None:
                problems.append(Problem("missing_rollback", f"{a.version} {a.name}: no rollback file "
                                        f"rollback/{a.version}_{a.name}.sql", version=a.version))
            elif m.up is not None and m.up.checksum != a.checksum:
                problems.append(Problem("changed", f"{_display(m.up, root)}: changed since it was applied; its "
                                        "rollback may not match what ran (restore it, or `schemadb repair`)",
                                        str(m.up.path), a.version))
        problems += transaction_control_problems([files[k] for k in keys if k in files], root, down=True)
        _refuse(problems, "rollback")
        result.planned = [Entry(applied[k].version, applied[k].name, "applied") for k in keys]
        result.current_version = max(applied.values(), key=lambda a: a.key).version if applied else None
        if dry_run:
            return result
        ctx = Context(conn, history, new_run_id(), settings.lock_timeout_ms, settings.retries, emit)
        remaining = dict(applied)
        for k in keys:
            m = files[k]
            assert m.down is not None
            emit("start", action="rollback", version=m.version, name=m.name)
            finish = history.q("history_delete", version=applied[k].version)
            try:
                run = run_file(ctx, m.down, "rollback", finish, m.down.transactional, _display(m.down, root),
                               progress.get((k, "rollback")))
            except MigrationError as e:
                result.error = e
                break
            result.done.append(run)
            del remaining[k]
            result.current_version = max(remaining.values(), key=lambda a: a.key).version if remaining else None
            emit("done", run=run)
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


def baseline(settings: Settings, version: str, emit: Emit = _noop) -> RecordResult:
    """Record migrations up to `version` as applied without running them."""
    from .execute import new_run_id

    key = _version_key(version)
    root = directory_of(settings)
    sc = scan(root)
    _refuse(sc.problems, "baseline")
    with session(settings, "baseline", lock=True, emit=emit) as (conn, history):
        applied = history.applied(conn)
        todo = [m for m in sc.migrations if m.key <= key and m.key not in applied]
        if not any(m.key <= key for m in sc.migrations):
            raise ValidationError(f"baseline refused: no migration at or below version {version}")
        run_id = new_run_id()
        with conn.transaction():
            for m in todo:
                assert m.up is not None and m.down is not None
                conn.execute(history.q("history_insert", version=m.version, name=m.name, checksum=m.up.checksum,
                                       rollback_checksum=m.down.checksum, transactional=m.up.transactional,
                                       duration_ms=None))
                history.log(conn, run_id=run_id, action="baseline", version=m.version, name=m.name,
                            checksum=m.up.checksum, outcome="ok", transactional=m.up.transactional)
    notes = [] if todo else [f"nothing to record: every migration up to {version} is already recorded"]
    return RecordResult("baseline", [{"version": m.version, "name": m.name} for m in todo], notes)


def repair(settings: Settings, emit: Emit = _noop) -> RecordResult:
    """Re-record the checksums of changed files (after a DBA reviewed them)."""
    from .execute import new_run_id

    root = directory_of(settings)
    sc = scan(root)
    _refuse(sc.problems, "repair")
    notes: list[str] = []
    with session(settings, "repair", lock=True, emit=emit) as (conn, history):
        applied = history.applied(conn)
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
        with conn.transaction():
            for m, a in changed:
                conn.execute(history.q("history_repair", version=a.version, name=m.name, checksum=m.up.checksum,
                                       rollback_checksum=m.down.checksum if m.down else None))
                history.log(conn, run_id=run_id, action="repair", version=a.version, name=m.name,
                            checksum=m.up.checksum, outcome="ok",
                            error=f"checksum was {a.checksum}" if a.checksum != m.up.checksum else None)
    versions = [{"version": a.version, "name": m.name, "old_checksum": a.checksum, "new_checksum": m.up.checksum}
                for m, a in changed]
    if not changed:
        notes.append("nothing to repair: every applied file matches its recorded checksum")
    return RecordResult("repair", versions, notes)


def new(settings: Settings, raw_name: str) -> NewResult:
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
    up = root / "migrations" / f"{version}_{name}.sql"
    down = root / "rollback" / f"{version}_{name}.sql"
    up.parent.mkdir(parents=True, exist_ok=True)
    down.parent.mkdir(parents=True, exist_ok=True)
    up.write_text(f"-- {version} {name}\n-- Runs in one transaction (first line `-- schemadb:no-transaction` "
                  "to run statement by statement).\n\n", encoding="utf-8")
    down.write_text(f"-- Rollback of {version} {name}: restore the schema exactly as it was before it.\n\n",
                    encoding="utf-8")
    return NewResult(version, str(up), str(down))


@dataclass
class LogResult:
    entries: list[dict]

    def to_json(self) -> dict:
        return {"command": "log", "entries": self.entries}


def history_log(settings: Settings, limit: int = 20) -> LogResult:
    with session(settings, "log", lock=False) as (conn, history):
        return LogResult(history.recent_log(conn, limit))
