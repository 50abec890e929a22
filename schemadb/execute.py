"""Running one migration or rollback file in one transaction (the no-transaction mode is in steps.py).

A transactional file travels in one simple-protocol message together with its transaction control and
its history and log rows, so the file and its bookkeeping commit or fail together in a single round
trip. The message is built once (the file's bytes are not copied again per attempt): each lock-retry
attempt rewrites only its fixed-width head, which carries that attempt's lock_timeout.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from .db import ScriptResult, failure_from_error, run_script, take_notices
from .errors import MigrationError, SqlFailure
from .history import History, log_values
from .interrupts import deferred
from .locks import LockRetry, LockStats, is_lock_timeout
from .migrations import SqlFile

Emit = Callable[..., None]

# The server measures the migration's duration itself: statement_timestamp() is when the message
# arrived, so this is the time the file took, without a second round trip.
_SERVER_DURATION = sql.SQL("(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer")
_ATTEMPT = sql.SQL("nullif(current_setting('schemadb.lock_attempt', true), '')::integer")
_WAITED = sql.SQL("nullif(current_setting('schemadb.lock_wait_ms', true), '')::integer")
_HEAD_WIDTH = 160  # characters: the message's head, rewritten in place for each attempt


@dataclass
class FileRun:
    """What happened to one file."""

    version: str
    name: str
    action: str  # apply | rollback
    duration_ms: int
    transactional: bool
    attempts: int = 1
    resumed_at: int | None = None  # no-transaction: 1-based statement resumed at
    notices: list[str] | None = None
    lock_wait_ms: int = 0
    lock_retries: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "version": self.version, "name": self.name, "action": self.action,
            "duration_ms": self.duration_ms, "transactional": self.transactional,
            "attempts": self.attempts, "lock_wait_ms": self.lock_wait_ms, "lock_retries": self.lock_retries,
            "resumed_at": self.resumed_at, "notices": self.notices or [],
        }


@dataclass
class Context:
    conn: psycopg.Connection
    history: History
    run_id: str
    locks: LockRetry
    emit: Emit
    settings: object = None  # to read the history on a fresh connection when the outcome is unknown
    backup_file: str | None = None
    notes: dict = field(default_factory=dict)  # per version: what the log row records besides (lint, …)
    done: list = field(default_factory=list)  # FileRun of every file committed, appended as it commits

    def committed(self, run: FileRun) -> FileRun:
        """Record a committed file at once (signals held), so that an interrupt arriving a moment later
        can never make the report say otherwise."""
        with deferred():
            self.done.append(run)
        return run


def new_run_id() -> str:
    return str(uuid.uuid4())


def run_file(ctx: Context, f: SqlFile, action: str, finish: str, display: str, progress=None) -> FileRun:
    """Run `f`; `finish` is the history change (insert or delete, History.render) that commits with it."""
    if not f.has_statement:
        return _run_transactional(ctx, f, action, finish, display, body=b"")
    if f.transactional:
        return _run_transactional(ctx, f, action, finish, display)
    from .steps import run_statements

    return run_statements(ctx, f, action, finish, display, progress)


def head(timeout_ms: int, attempt: int, waited_ms: int) -> bytes:
    text = (f"BEGIN; SET LOCAL lock_timeout = '{int(timeout_ms)}ms'; SET LOCAL schemadb.lock_attempt = "
            f"'{int(attempt)}'; SET LOCAL schemadb.lock_wait_ms = '{int(waited_ms)}';")
    return text.ljust(_HEAD_WIDTH - 1).encode() + b"\n"


def _run_transactional(ctx: Context, f: SqlFile, action: str, finish: str, display: str,
                       body: bytes | None = None) -> FileRun:
    conn = ctx.conn
    log = ctx.history.render(
        conn, "log_insert",
        **log_values(dict(run_id=ctx.run_id, action=action, version=f.version, name=f.name, checksum=f.checksum,
                          outcome="ok", duration_ms=_SERVER_DURATION, transactional=True,
                          backup_file=ctx.backup_file, lock_attempts=_ATTEMPT, lock_wait_ms=_WAITED,
                          notes=ctx.notes.get(f.version))),
    )
    # The bookkeeping runs as the runner's login whatever SET ROLE the file did; after the file, the session
    # is reset (RESET ALL does not cover ROLE), so each file starts from the connection's own settings.
    suffix = f"\n;\nSET LOCAL ROLE NONE;\n{finish};\n{log};\nCOMMIT;\nRESET ALL;\nRESET ROLE;".encode()
    data = f.read_bytes() if body is None else body
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    message = bytearray(head(0, 0, 0))
    message += data
    body_len = len(data)
    del data
    message += suffix
    started = time.monotonic()

    sent: list[ScriptResult] = []  # each attempt's result object, readable even if an interrupt cuts in

    def attempt(a) -> ScriptResult:
        message[:_HEAD_WIDTH] = head(a.timeout_ms, a.number, a.waited_ms)
        result = ScriptResult()
        sent.append(result)
        run_script(conn, message, result)
        if not result.interrupted and not result.broken:
            _rollback(conn)
        return result

    try:
        result, stats = ctx.locks.run(attempt, lambda r: is_lock_timeout(r.error) and not r.interrupted,
                                      f"{f.version} {f.name}", conn.info.backend_pid)
    except KeyboardInterrupt:  # between attempts, or just after one: its result object says what happened
        result = sent[-1] if sent else ScriptResult()
        result.interrupted = True
        stats = LockStats(attempts=len(sent))
    elapsed = int((time.monotonic() - started) * 1000)
    if result.committed and result.error is None:
        run = ctx.committed(FileRun(f.version, f.name, action, elapsed, True, stats.attempts, notices=take_notices(),
                                    lock_wait_ms=stats.wait_ms, lock_retries=stats.history))
        if result.interrupted:
            raise InterruptedAfter(run)
        return run
    if result.interrupted or result.broken:
        return _after_interrupt(ctx, f, action, display, result, stats, elapsed)
    if result.error is None:
        failure = SqlFailure(path=display, message="the file leaves a transaction open or ends inside a quote, "
                             "comment or dollar-quoted string; nothing was applied")
        _log_failure(ctx, f, action, True, elapsed, failure, stats)
        raise MigrationError(action, f.version, f.name, failure)
    failure = locate(ctx, f, display, result.error, result.error_index - 4, _HEAD_WIDTH, body_len)
    if stats.exhausted:
        failure.message = ctx.locks.exhausted_message(f"{f.version} {f.name}", stats,
                                                      "rolled back, nothing of it was applied")
        failure.locks = stats.to_json()
    _log_failure(ctx, f, action, True, elapsed, failure, stats)
    raise MigrationError(action, f.version, f.name, failure)


def locate(ctx: Context, f: SqlFile, display: str, e: psycopg.Error, index: int, body_offset: int,
           body_len: int) -> SqlFailure:
    """file:line:col of the error; without a server position, the start of the failing statement; in
    schemadb's own bookkeeping after the file, no line at all (it is not the file's)."""
    from .sqltext import SqlSyntaxError

    pos = e.diag.statement_position
    if pos and 0 <= int(pos) - 1 - body_offset <= body_len:
        return failure_from_error(display, f.text, e, body_offset)
    from itertools import islice

    from .sqltext import statement_starts

    text = f.text
    parsed = True
    try:
        start = next(islice(statement_starts(text), index, None), None) if index >= 0 else None
    except SqlSyntaxError:
        start, parsed = None, False
    if start is not None:
        return failure_from_error(display, text, e, body_offset, start, index)
    failure = failure_from_error(display, "", e, body_offset=None)
    if (pos and int(pos) - 1 - body_offset > body_len) or (not pos and parsed and index >= 0):
        failure.message = bookkeeping_message(ctx.history, failure.message)
    return failure


def bookkeeping_message(history: History, message: str) -> str:
    return (f"after the file's last statement, recording it in schemadb's own history table {history.qualified} "
            f"failed ({message}): the file dropped or changed that table; nothing of it was applied. If the project "
            "has a table of that name of its own, give schemadb another one with --history-table")


def _rollback(conn: psycopg.Connection) -> None:
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK")


def _log_failure(ctx: Context, f: SqlFile, action: str, transactional: bool, elapsed: int,
                 failure: SqlFailure, stats: LockStats | None = None, log_id: int | None = None,
                 done: int | None = None, done_checksum: str | None = None) -> None:
    lock = dict(lock_attempts=stats.attempts, lock_wait_ms=stats.wait_ms) if stats else {}
    notes = ctx.notes.get(f.version)
    if stats and stats.blockers:
        notes = {**(notes or {}), "blockers": stats.blockers}
    try:
        with deferred(), as_runner(ctx.conn):
            if log_id is None:
                ctx.history.log(ctx.conn, run_id=ctx.run_id, action=action, version=f.version, name=f.name,
                                checksum=f.checksum, outcome="failed", duration_ms=elapsed,
                                transactional=transactional, error=failure.one_line(), backup_file=ctx.backup_file,
                                notes=notes, **lock)
            else:
                ctx.conn.execute(ctx.history.q("log_update", **log_values(dict(
                    outcome="failed", duration_ms=elapsed, statements_done=done, done_checksum=done_checksum,
                    error=failure.one_line(), notes=notes, **lock)), id=log_id))
    except psycopg.Error:
        pass  # the failure itself is what the user needs to see


@contextmanager
def as_runner(conn: psycopg.Connection):
    """A transaction for schemadb's own bookkeeping, as the login that runs schemadb, whatever SET ROLE a
    no-transaction file did (SET LOCAL: the file's role is back after it)."""
    with conn.transaction():
        conn.execute("SET LOCAL ROLE NONE")
        yield


def _after_interrupt(ctx: Context, f: SqlFile, action: str, display: str, result: ScriptResult,
                     stats: LockStats, elapsed: int) -> FileRun:
    """Ctrl-C or a lost connection during the message: say truthfully whether it committed."""
    committed = result.committed
    if committed is None and result.broken:
        committed = history_says_done(ctx, f, action)
    if committed:
        run = ctx.committed(FileRun(f.version, f.name, action, elapsed, True, stats.attempts, notices=take_notices(),
                                    lock_wait_ms=stats.wait_ms))
        raise InterruptedAfter(run)
    if committed is None and result.broken:
        msg = ("the connection was lost while it ran; whether it committed is unknown: "
               "check `schemadb status` (nothing else ran)")
    else:
        msg = "interrupted; its changes were rolled back (nothing of it was applied)"
        if not result.broken:
            with deferred():
                _rollback(ctx.conn)
                _log_failure(ctx, f, action, True, elapsed, SqlFailure(path=display, message="interrupted"), stats)
    failure = SqlFailure(path=display, message=msg, interrupted=True)
    raise MigrationError(action, f.version, f.name, failure)


class InterruptedAfter(Exception):
    """The file committed, then the run was interrupted (the runner records it as done, then stops)."""

    def __init__(self, run: FileRun):
        super().__init__(f"{run.version} {run.name} committed before the interrupt")
        self.run = run


def history_says_done(ctx: Context, f: SqlFile, action: str, wait_s: float = 10.0) -> bool | None:
    """On a fresh connection: wait for the old backend to end, then read whether the history records the
    file (apply) or no longer does (rollback). None when it cannot tell."""
    from . import db

    pid = ctx.conn.info.backend_pid
    try:
        with db.connect(ctx.settings, "status check", dsn=ctx.settings.dsn) as c:
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and c.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
                time.sleep(0.1)
            row = c.execute(sql.SQL("SELECT checksum FROM {} WHERE version = %s").format(ctx.history.ids["history"]),
                            (f.version,)).fetchone()
    except Exception:
        return None
    return (row is not None) if action == "apply" else (row is None)
