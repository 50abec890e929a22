"""Running one migration or rollback file: in one transaction, or statement by statement.

A transactional file travels in one simple-protocol message together with its transaction
control and its history and log rows, so the file and its bookkeeping commit or fail together
in a single round trip. A `-- schemadb:no-transaction` file is split with pglast (a real
PostgreSQL parser) and run statement by statement; its progress is recorded after each
statement so that the next run resumes at the statement that failed.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .db import (
    LOCK_NOT_AVAILABLE,
    backoff,
    failure_from_error,
    position_to_line_col,
    run_script,
    take_notices,
)
from .errors import MigrationError, SqlFailure, ValidationError
from .history import History, Progress, log_values
from .migrations import SqlFile

Emit = Callable[..., None]

# The server measures the migration's duration itself: statement_timestamp() is when the message
# arrived, so this is the time the file took, without a second round trip.
_SERVER_DURATION = sql.SQL("(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer")


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

    def to_json(self) -> dict:
        return {
            "version": self.version, "name": self.name, "action": self.action,
            "duration_ms": self.duration_ms, "transactional": self.transactional,
            "attempts": self.attempts, "resumed_at": self.resumed_at, "notices": self.notices or [],
        }


@dataclass
class Context:
    conn: psycopg.Connection
    history: History
    run_id: str
    lock_timeout_ms: int
    retries: int
    emit: Emit
    display_root: object = None
    backup_file: str | None = None


def split_statements(f: SqlFile, display: str, action: str) -> list[slice]:
    import pglast

    try:
        return list(pglast.split(f.text, with_parser=True, only_slices=True))
    except pglast.parser.ParseError as e:
        index = e.args[1] if len(e.args) > 1 else 0
        line, col = position_to_line_col(f.text, index)
        raise MigrationError(
            action, f.version, f.name,
            SqlFailure(path=display, line=line, column=col, sqlstate="42601", message=str(e.args[0])),
        ) from None


def _digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def run_file(ctx: Context, f: SqlFile, action: str, finish: sql.Composable, transactional: bool,
             display: str, progress: Progress | None = None) -> FileRun:
    """Run `f`; `finish` is the history change (insert or delete) that commits with it."""
    if transactional:
        return _run_transactional(ctx, f, action, finish, display)
    return _run_statements(ctx, f, action, finish, display, progress)


def _run_transactional(ctx: Context, f: SqlFile, action: str, finish: sql.Composable, display: str) -> FileRun:
    conn = ctx.conn
    prefix = sql.SQL("BEGIN; SET LOCAL lock_timeout = {};\n").format(sql.Literal(f"{ctx.lock_timeout_ms}ms"))
    prefix_text = prefix.as_string(conn)
    log = ctx.history.q(
        "log_insert",
        **log_values(dict(run_id=ctx.run_id, action=action, version=f.version, name=f.name, checksum=f.checksum,
                          outcome="ok", duration_ms=_SERVER_DURATION, transactional=True,
                          backup_file=ctx.backup_file)),
    )
    # The bookkeeping runs as the runner's login whatever SET ROLE the file did; after the file, the session
    # is reset (RESET ALL does not cover ROLE), so each file starts from the connection's own settings.
    suffix = sql.SQL("\n;\nSET LOCAL ROLE NONE;\n{finish};\n{log};\nCOMMIT;\nRESET ALL;\nRESET ROLE;").format(
        finish=finish, log=log).as_string(conn)
    message = prefix_text + f.text + suffix
    attempt = 0
    while True:
        attempt += 1
        started = time.monotonic()
        result = run_script(conn, message)
        elapsed = int((time.monotonic() - started) * 1000)
        notices = take_notices()
        if result.interrupted:
            _rollback(conn)
            raise MigrationError(action, f.version, f.name,
                                 SqlFailure(path=display, message="interrupted (Ctrl-C); its changes were rolled back"))
        if result.error is None:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                _rollback(conn)
                raise MigrationError(action, f.version, f.name, SqlFailure(
                    path=display, message="the file leaves a transaction open or ends inside a quote, comment "
                    "or dollar-quoted string; nothing was applied"))
            return FileRun(f.version, f.name, action, elapsed, True, attempt, notices=notices)
        _rollback(conn)
        e = result.error
        if e.sqlstate == LOCK_NOT_AVAILABLE and attempt <= ctx.retries:
            delay = backoff(attempt)
            ctx.emit("retry", version=f.version, name=f.name, attempt=attempt, retries=ctx.retries,
                     delay=round(delay, 2), reason=e.diag.message_primary)
            time.sleep(delay)
            continue
        failure = _locate(f, display, e, result.completed - 2, len(prefix_text))
        _log_failure(ctx, f, action, True, elapsed, failure)
        raise MigrationError(action, f.version, f.name, failure)


def _locate(f: SqlFile, display: str, e: psycopg.Error, index: int, body_offset: int) -> SqlFailure:
    """file:line:col of the error; without a server position, the start of the failing statement."""
    start = None
    stmt_index = None
    if not e.diag.statement_position and index >= 0:
        try:
            import pglast

            slices = list(pglast.split(f.text, with_parser=True, only_slices=True))
        except Exception:
            slices = []
        if index < len(slices):
            start, stmt_index = slices[index].start, index
    failure = failure_from_error(display, f.text, e, body_offset, start, stmt_index)
    if failure.line is None and index >= 0 and start is None and e.diag.statement_position is None:
        failure.message += " (after the file's last statement, while recording it in the history table)"
    return failure


def _rollback(conn: psycopg.Connection) -> None:
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK")


def _log_failure(ctx: Context, f: SqlFile, action: str, transactional: bool, elapsed: int,
                 failure: SqlFailure, log_id: int | None = None, done: int | None = None,
                 done_checksum: str | None = None) -> None:
    try:
        with as_runner(ctx.conn):
            if log_id is None:
                ctx.history.log(ctx.conn, run_id=ctx.run_id, action=action, version=f.version, name=f.name,
                                checksum=f.checksum, outcome="failed", duration_ms=elapsed,
                                transactional=transactional, error=failure.one_line(), backup_file=ctx.backup_file)
            else:
                ctx.conn.execute(ctx.history.q("log_update", id=log_id, outcome="failed", duration_ms=elapsed,
                                               statements_done=done, done_checksum=done_checksum,
                                               error=failure.one_line()))
    except psycopg.Error:
        pass  # the failure itself is what the user needs to see


@contextmanager
def as_runner(conn: psycopg.Connection):
    """A transaction for schemadb's own bookkeeping, as the login that runs schemadb, whatever SET ROLE a
    no-transaction file did (SET LOCAL: the file's role is back after it)."""
    with conn.transaction():
        conn.execute("SET LOCAL ROLE NONE")
        yield


def _run_statements(ctx: Context, f: SqlFile, action: str, finish: sql.Composable, display: str,
                    progress: Progress | None) -> FileRun:
    conn = ctx.conn
    slices = split_statements(f, display, action)
    texts = [f.text[s] for s in slices]
    resume = 0
    if progress is not None:
        n = progress.statements_done
        if n > len(texts) or _digest(texts[:n]) != progress.done_checksum:
            raise ValidationError(
                f"{display}: {n} statement(s) of this no-transaction file already ran, and they were edited "
                "since; restore them (only statements not yet run may change)"
            )
        resume = n
        ctx.emit("resume", version=f.version, name=f.name, statement=n + 1, total=len(texts))
    started = time.monotonic()
    with as_runner(conn):
        log_id = ctx.history.log(conn, run_id=ctx.run_id, action=action, version=f.version, name=f.name,
                                 checksum=f.checksum, outcome="running", transactional=False,
                                 statements_done=resume, statements_total=len(texts),
                                 done_checksum=_digest(texts[:resume]), backup_file=ctx.backup_file)
    conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{ctx.lock_timeout_ms}ms")))
    attempts_total = 1
    try:
        for i in range(resume, len(texts)):
            stmt = texts[i]
            index = _concurrent_index(stmt)
            if index is not None:
                state = _index_state(conn, index)
                if state is False:
                    ctx.emit("drop_invalid_index", version=f.version, index=index)
                    conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
                        sql.Identifier(*index.split("."))))
                elif state is True and progress is not None and i == resume:
                    # The run that was killed finished this statement before recording it.
                    ctx.emit("skip_done", version=f.version, statement=i + 1, index=index)
                    _record_progress(ctx, log_id, i + 1, texts)
                    continue
            attempt = 0
            while True:
                attempt += 1
                result = run_script(conn, stmt)
                if result.error is None and not result.interrupted:
                    break
                _rollback(conn)
                e = result.error
                if e is not None and e.sqlstate == LOCK_NOT_AVAILABLE and attempt <= ctx.retries:
                    delay = backoff(attempt)
                    ctx.emit("retry", version=f.version, name=f.name, attempt=attempt, retries=ctx.retries,
                             delay=round(delay, 2), reason=e.diag.message_primary, statement=i + 1)
                    time.sleep(delay)
                    continue
                elapsed = int((time.monotonic() - started) * 1000)
                if e is None:
                    failure = SqlFailure(path=display, message="interrupted (Ctrl-C)")
                    failure.line, failure.column = position_to_line_col(f.text, slices[i].start)
                else:
                    failure = failure_from_error(display, f.text, e, -slices[i].start, slices[i].start, i)
                failure.statement_index = i
                failure.statements_done = list(range(1, i + 1))
                if index is not None and _index_state(conn, index) is False:
                    failure.invalid_index = index
                    failure.message += f" (left INVALID index {index}; it is dropped before the retry)"
                _log_failure(ctx, f, action, False, elapsed, failure, log_id, i, _digest(texts[:i]))
                raise MigrationError(action, f.version, f.name, failure)
            attempts_total = max(attempts_total, attempt)
            _record_progress(ctx, log_id, i + 1, texts)
        elapsed = int((time.monotonic() - started) * 1000)
        with as_runner(conn):
            conn.execute(finish)
            conn.execute(ctx.history.q("log_update", id=log_id, outcome="ok", duration_ms=elapsed,
                                       statements_done=len(texts), done_checksum=_digest(texts), error=None))
    finally:
        if not conn.closed:
            _rollback(conn)
            conn.execute("RESET ALL")
            conn.execute("RESET ROLE")
    return FileRun(f.version, f.name, action, elapsed, False, attempts_total,
                   resumed_at=resume + 1 if progress else None, notices=take_notices())


def _record_progress(ctx: Context, log_id: int, done: int, texts: list[str]) -> None:
    with as_runner(ctx.conn):
        ctx.conn.execute(ctx.history.q("log_update", id=log_id, outcome="running", duration_ms=None,
                                       statements_done=done, done_checksum=_digest(texts[:done]), error=None))


def _concurrent_index(stmt: str) -> str | None:
    """For CREATE [UNIQUE] INDEX CONCURRENTLY, the index's schema-qualified name ('schema.name' or 'name')."""
    head = stmt.lstrip()[:80].upper()
    if "CONCURRENTLY" not in head or "INDEX" not in head:
        return None
    from pglast import parse_sql
    from pglast.ast import IndexStmt

    try:
        node = parse_sql(stmt)[0].stmt
    except Exception:
        return None
    if not isinstance(node, IndexStmt) or not node.concurrent or not node.idxname:
        return None
    schema = node.relation.schemaname
    return f"{schema}.{node.idxname}" if schema else node.idxname


def _index_state(conn: psycopg.Connection, name: str) -> bool | None:
    """True valid, False invalid, None absent."""
    ident = sql.Identifier(*name.split(".")).as_string(conn)
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (ident,)
    ).fetchone()
    return None if row is None else bool(row[0])


def new_run_id() -> str:
    return str(uuid.uuid4())
