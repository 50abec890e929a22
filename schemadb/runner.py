"""migrate and rollback: the commands that run migration files.

They return result objects and never print; progress goes to the `emit` callback (the CLI renders
it). Every check that can refuse runs before anything is applied; expected failures are
SchemadbError subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from .config import Settings
from .errors import ConfigError, Interrupted, MigrationError, Problem, SchemadbError
from .migrations import Scan, scan
from .records import _version_key
from .state import Entry, database_problems, directory_of, display, file_problems, refuse

Emit = Callable[..., None]


def _noop(*_args, **_kw) -> None:
    pass


@dataclass
class RunResult:
    """migrate / rollback: what ran (or would run, with dry_run)."""

    command: str
    dry_run: bool
    done: list = field(default_factory=list)  # FileRun
    planned: list[Entry] = field(default_factory=list)
    current_version: str | None = None
    total_ms: int = 0
    error: SchemadbError | None = None
    lint: list = field(default_factory=list)  # the findings of the pending files (allowed ones and warnings)

    def to_json(self) -> dict:
        key = "applied" if self.command == "migrate" else "rolled_back"
        return {"command": self.command, "dry_run": self.dry_run,
                key: [r.to_json() for r in self.done],
                "planned": [{"version": e.version, "name": e.name} for e in self.planned],
                "current_version": self.current_version, "total_ms": self.total_ms,
                "lint": [x.to_json() for x in self.lint],
                "error": self.error.to_json() if self.error else None}


@contextmanager
def session(settings: Settings, command: str, lock: bool, emit: Emit = _noop):
    """A connection (and, for commands that change things, a check that the server takes writes and the
    runner's advisory lock)."""
    from . import db
    from .history import History

    history = History(settings)
    conn = db.connect(settings, command, writable=lock)
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


def _current(applied: dict) -> str | None:
    return max(applied.values(), key=lambda a: a.key).version if applied else None


def _prechecks(settings: Settings, backup_dir: str | None = None) -> None:
    """Inputs that would otherwise fail only after migrations committed: check them before any work."""
    import os

    url = os.environ.get("SCHEMADB_REDIS_URL")
    if url:
        from .config import check_redis_url

        check_redis_url(url)
    if backup_dir:
        from .backup import check_out_dir

        check_out_dir(backup_dir)


def migrate(settings: Settings, target: str | None = None, dry_run: bool = False, emit: Emit = _noop,
            backup_dir: str | None = None, lint: bool = True, strict: bool = False) -> RunResult:
    root = directory_of(settings)
    _prechecks(settings, backup_dir)
    sc = scan(root)
    refuse(sc.problems, "migrate")
    target_key = _version_key(target) if target is not None else None
    result = RunResult("migrate", dry_run)
    started = time.monotonic()
    if not dry_run and _nothing_pending(settings, sc, target_key, result):
        result.total_ms = int((time.monotonic() - started) * 1000)
        return result
    from . import locks
    from .execute import Context, InterruptedAfter, new_run_id, run_file  # only when there may be work to do

    with session(settings, "migrate", lock=not dry_run, emit=emit) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
        pending = [m for m in sc.migrations
                   if m.key not in applied and (target_key is None or m.key <= target_key)]
        problems = [p for p in database_problems(sc, applied, root) if p.kind != "rollback_changed"]
        problems += file_problems(pending, history)
        notes: dict = {}
        if lint and pending:
            from .lint import gate

            result.lint, lint_problems, notes = gate(conn, sc, pending, history, strict, settings.lock_timeout_ms)
            problems += lint_problems
        elif pending:
            notes = {m.version: {"lint": "skipped (--no-lint)"} for m in pending}
        refuse(problems, "migrate")
        result.planned = [Entry(m.version, m.name, "pending") for m in pending]
        result.current_version = _current(applied)
        if dry_run:
            return result
        backup_file = None
        if backup_dir and pending:
            from .backup import backup

            taken = backup(settings, backup_dir, emit=emit)
            backup_file = taken.file
            emit("backup", result=taken)
        ctx = Context(conn, history, new_run_id(), locks.from_settings(settings, emit, command="migrate"), emit,
                      settings, backup_file, notes)
        try:
            for m in pending:
                assert m.up is not None and m.down is not None
                emit("start", action="apply", version=m.version, name=m.name)
                finish = history.render(conn, "history_insert", version=m.version, name=m.name, checksum=m.up.checksum,
                                   rollback_checksum=m.down.checksum, transactional=m.up.transactional,
                                   duration_ms=_duration_expr(m.up.transactional))
                try:
                    run = run_file(ctx, m.up, "apply", finish, display(m.up), progress.get((m.key, m.name, "apply")))
                except MigrationError as e:
                    result.error = e
                    break
                except InterruptedAfter:
                    result.error = _interrupted(ctx.done, pending, "applied")
                    break
                emit("done", run=run)
        except KeyboardInterrupt:
            result.error = _interrupted(ctx.done, pending, "applied")
        finally:
            ctx.locks.close()
            result.done = list(ctx.done)  # what committed, recorded as it committed
            if result.done:
                result.current_version = result.done[-1].version
        if result.done:
            _publish_schema_version(conn, result.current_version, emit)
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


def _interrupted(done_runs: list, planned: list, verb: str) -> Interrupted:
    done = ", ".join(r.version for r in done_runs) or "nothing"
    left = len(planned) - len(done_runs)
    return Interrupted(f"interrupted: {verb} {done} before the interrupt (committed); the other {left} did not run")


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


def _nothing_pending(settings: Settings, sc: Scan, target_key: int | None, result: RunResult) -> bool:
    """The common cron/CI case, answered without taking the lock: every file is applied unchanged (one
    digest compared, not thousands of rows). Anything else is re-read under the lock, so a concurrent
    runner is never raced."""
    import hashlib

    from . import db

    files = [m for m in sc.migrations if m.up is not None]
    if target_key is not None and any(m.key > target_key for m in files):
        return False
    with session(settings, "migrate", lock=False) as (conn, history):
        db.require_writable(conn)
        recorded = history.digest(conn)
        if not recorded or recorded[0] != len(files) or history.progress(conn):
            return False
    ours = hashlib.sha256("\n".join(f"{m.version}:{m.up.checksum}" for m in files).encode()).hexdigest()
    if recorded[1] != ours:
        return False  # something differs: the full check under the lock says what
    result.current_version = files[-1].version if files else None
    return True


def _duration_expr(transactional: bool):
    from .execute import _SERVER_DURATION  # noqa: I001

    # In a no-transaction file the history row is written last, in its own statement; the log row
    # carries the real duration.
    return _SERVER_DURATION if transactional else None


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


def rollback_problems(sc: Scan, applied: dict, keys: list[int], history) -> list[Problem]:
    files = sc.by_key()
    problems = []
    for k in keys:
        m, a = files.get(k), applied[k]
        if m is None or m.down is None:
            problems.append(Problem("missing_rollback", f"{a.version} {a.name}: no rollback file "
                                    f"rollback/{a.version}_{a.name}.sql", version=a.version))
        elif m.up is not None and m.up.checksum != a.checksum:
            problems.append(Problem("changed", f"{display(m.up)}: changed since it was applied; its "
                                    "rollback may not match what ran (restore it, or `schemadb repair`)",
                                    str(m.up.path), a.version))
        elif a.rollback_checksum and m.down.checksum != a.rollback_checksum:
            problems.append(Problem("rollback_changed", f"{display(m.down)}: changed since its migration was "
                                    "applied; review it, then `schemadb repair` records it (or restore it)",
                                    str(m.down.path), a.version))
        elif m.irreversible:
            problems.append(Problem(
                "irreversible", f"{a.version} {a.name} is irreversible (its rollback file has no statement): "
                f"roll back only what is newer, with --target {a.version} (or a later version)",
                str(m.down.path), a.version))
    problems += file_problems([files[k] for k in keys if k in files], history, down=True)
    return problems


def rollback(settings: Settings, steps: int | None = None, target: str | None = None, all_: bool = False,
             dry_run: bool = False, emit: Emit = _noop) -> RunResult:
    from . import locks
    from .execute import Context, InterruptedAfter, new_run_id, run_file

    if sum(x is not None and x is not False for x in (steps, target, all_ or None)) > 1:
        raise ConfigError("give only one of --steps, --target and --all")
    root = directory_of(settings)
    sc = scan(root)
    refuse(sc.problems, "rollback")
    result = RunResult("rollback", dry_run)
    started = time.monotonic()
    with session(settings, "rollback", lock=not dry_run, emit=emit) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
        keys = plan_rollback(applied, steps, target, all_)
        files = sc.by_key()
        refuse(rollback_problems(sc, applied, keys, history), "rollback")
        result.planned = [Entry(applied[k].version, applied[k].name, "applied") for k in keys]
        result.current_version = _current(applied)
        if dry_run:
            return result
        ctx = Context(conn, history, new_run_id(), locks.from_settings(settings, emit, command="rollback"), emit,
                      settings)
        try:
            for k in keys:
                m = files[k]
                assert m.down is not None
                emit("start", action="rollback", version=m.version, name=m.name)
                finish = history.render(conn, "history_delete", version=applied[k].version)
                try:
                    run = run_file(ctx, m.down, "rollback", finish, display(m.down),
                                   progress.get((k, m.name, "rollback")))
                except MigrationError as e:
                    result.error = e
                    break
                except InterruptedAfter:
                    result.error = _interrupted(ctx.done, keys, "rolled back")
                    break
                emit("done", run=run)
        except KeyboardInterrupt:
            result.error = _interrupted(ctx.done, keys, "rolled back")
        finally:
            ctx.locks.close()
            result.done = list(ctx.done)
            remaining = {k: a for k, a in applied.items() if a.version not in {r.version for r in result.done}}
            result.current_version = _current(remaining)
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


# the library API of the first round, kept for scripts that import it from here
from .records import baseline, history_log, new, repair  # noqa: E402
from .state import entries_of, status, validate  # noqa: E402

__all__ = ["migrate", "rollback", "status", "validate", "baseline", "repair", "new", "history_log", "session",
           "entries_of", "RunResult", "plan_rollback"]
