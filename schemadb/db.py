"""Connections, the advisory lock, and running SQL text with precise failure locations.

Every command connects through `connect()`, so unreachable servers, wrong passwords and missing
databases end in one ConnectError line (exit 2) with the password masked.
"""

from __future__ import annotations

import hashlib
import os
import re
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import pq, sql

from .config import Settings, describe_dsn, dsn_password, redact
from .errors import ConnectError, LockBusyError, SqlFailure
from .sqltext import position_to_line_col

# libpq reports connection failures as text without a SQLSTATE; these say the server is not
# (yet) accepting connections, which --wait waits out. Anything else (bad password, missing
# database, bad DSN) fails at once.
_NOT_READY = ("connection refused", "no such file or directory", "the database system is starting up",
              "the database system is shutting down", "the database system is in recovery mode",
              "could not connect", "timeout expired", "server closed the connection unexpectedly",
              "is the server running", "no route to host", "connection reset")


def _classify(e: Exception) -> str:
    """'auth', 'nodb', 'dsn', 'notready' or 'other'."""
    msg = str(e).lower()
    if "password authentication failed" in msg or "no pg_hba.conf entry" in msg or "authentication" in msg:
        return "auth"
    if "database" in msg and "does not exist" in msg:
        return "nodb"
    if isinstance(e, psycopg.ProgrammingError) or "invalid dsn" in msg or "invalid connection option" in msg:
        return "dsn"
    if any(k in msg for k in _NOT_READY):
        return "notready"
    return "other"


def application_name(command: str) -> str:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid())
    who = f"{user}@{socket.gethostname()}"
    return f"schemadb {command} ({who})"[:63]


def connect(settings: Settings, command: str = "", dsn: str | None = None,
            writable: bool = False) -> psycopg.Connection:
    """Open an autocommit connection; with settings.wait > 0, wait for the server to accept. With
    `writable`, refuse (exit 2) a standby or a read-only server before anything is done."""
    if dsn:
        from .config import check_dsn

        check_dsn(dsn)
    dsn = dsn or settings.require_dsn()
    deadline = time.monotonic() + settings.wait
    delay = 0.1
    kwargs = {"autocommit": True}
    if "application_name" not in dsn and not os.environ.get("PGAPPNAME"):
        kwargs["application_name"] = application_name(command)
    if "connect_timeout" not in dsn and not os.environ.get("PGCONNECT_TIMEOUT"):
        kwargs["connect_timeout"] = 10
    while True:
        try:
            conn = psycopg.connect(dsn, **kwargs)
            conn.add_notice_handler(_collect_notice)
            if writable:
                try:
                    require_writable(conn)
                except ConnectError:
                    conn.close()
                    raise
            return conn
        except psycopg.Error as e:
            remaining = deadline - time.monotonic()
            if _classify(e) != "notready" or remaining <= 0:
                raise ConnectError(connect_message(dsn, e)) from None
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)


def require_writable(conn: psycopg.Connection) -> None:
    """A command that changes things needs the primary: say so at once instead of failing mid-run."""
    standby, read_only = conn.execute(
        "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on'").fetchone()
    where = describe_dsn(conn.info.dsn)
    if standby:
        raise ConnectError(f"{where}: the server is a standby (in recovery): point --dsn at the primary; "
                           "nothing was done")
    if read_only:
        raise ConnectError(f"{where}: the server takes no writes (default_transaction_read_only is on for this "
                           "login or database): point --dsn at a writable primary; nothing was done")


def connect_message(dsn: str, e: Exception) -> str:
    msg = " ".join(str(e).split())
    msg = msg.replace("connection failed: ", "")
    if _classify(e) == "dsn":  # libpq quotes the pieces it could not parse, which may be the password's
        msg = re.sub(r'"[^"]*"', '"…"', msg)
    pre = {"auth": "authentication failed", "nodb": "database does not exist", "dsn": "invalid DSN"}.get(
        _classify(e), "cannot connect")
    return redact(f"{pre}: {describe_dsn(dsn)}: {msg}", dsn_password(dsn))


# --- notices (RAISE NOTICE from migrations, e.g. "role kept") -------------------------------

_notices: list[str] = []


def _collect_notice(diag: psycopg.errors.Diagnostic) -> None:
    if diag.severity_nonlocalized in ("NOTICE", "WARNING", "INFO"):
        _notices.append(f"{diag.severity_nonlocalized.lower()}: {diag.message_primary}")


def take_notices() -> list[str]:
    out = list(_notices)
    _notices.clear()
    return out


# --- running SQL text ------------------------------------------------------------------------


@dataclass
class ScriptResult:
    """What a simple-protocol message did, statement by statement, as far as its results tell."""

    completed: int = 0  # statements that completed
    error: psycopg.Error | None = None  # the error that ended the message (the rest did not run)
    interrupted: bool = False  # Ctrl-C/SIGTERM: the query was cancelled, and its results were read to the end
    committed: bool | None = None  # a COMMIT in the message: True done, False it rolled back, None not reached
    broken: bool = False  # the connection failed: what the server did is unknown

    @property
    def error_index(self) -> int | None:
        """0-based index of the failing statement among the message's statements."""
        return None if self.error is None else self.completed


def run_script(conn: psycopg.Connection, text: str | bytes | bytearray,
               result: ScriptResult | None = None) -> ScriptResult:
    """Send `text` as one simple-protocol message and read every result.

    psycopg's execute() would raise on the first error without saying which statement failed;
    counting the results tells us, even for errors that carry no position. A Ctrl-C cancels the
    query on the server and then reads the results to the end, so the caller knows whether a
    COMMIT in the message completed before the cancel arrived.
    """
    from .interrupts import deferred

    pgconn = conn.pgconn
    result = ScriptResult() if result is None else result  # the caller's object: it knows even if we never return
    pgconn.send_query(text.encode("utf-8") if isinstance(text, str) else text)
    try:
        _read_results(pgconn, result, poll=True)
    except KeyboardInterrupt:
        result.interrupted = True
        with deferred():  # a second Ctrl-C must not leave the results half read
            try:
                pgconn.get_cancel().cancel()
            except psycopg.Error:
                pass
            _read_results(pgconn, result, poll=False)
    return result


COPY_REFUSED = ("COPY … FROM STDIN reads psql's inline data, which only psql understands: load the rows with "
                "INSERT, or COPY from a file on the server")


def _read_results(pgconn, result: ScriptResult, poll: bool) -> None:
    try:
        while pgconn.flush() != 0:
            select.select([], [pgconn.socket], [], 1.0)
        while True:
            if poll:
                pgconn.consume_input()
                if pgconn.is_busy():
                    select.select([pgconn.socket], [], [], 1.0)
                    continue
            res = pgconn.get_result()
            if res is None:
                return
            if res.status == pq.ExecStatus.FATAL_ERROR:
                if result.error is None:
                    result.error = psycopg.errors.error_from_result(res, encoding="utf-8")
            elif res.status == pq.ExecStatus.COPY_IN:  # psql's inline data (pg_dump output): refuse, cleanly
                pgconn.put_copy_end(COPY_REFUSED.encode())
            elif res.status in (pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_BOTH):
                while pgconn.get_copy_data(0)[0] > 0:
                    pass
                result.completed += 1
            else:
                result.completed += 1
                tag = res.command_status or b""
                if tag == b"COMMIT":
                    result.committed = True
                elif tag == b"ROLLBACK":
                    result.committed = False
    except psycopg.OperationalError:
        result.broken = True


def failure_from_error(
    path: str,
    body: str,
    e: psycopg.Error,
    body_offset: int | None = 0,
    statement_start: int | None = None,
    statement_index: int | None = None,
) -> SqlFailure:
    """Turn a server error into file:line:col. `body_offset` is where the file's text starts in
    the message that was sent (None: the server's position is not in the file); `statement_start` is
    the failing statement's offset in the file when known (used when the server gives no position)."""
    diag = e.diag
    f = SqlFailure(
        path=path,
        sqlstate=diag.sqlstate,
        message=diag.message_primary or str(e).strip(),
        detail=diag.message_detail,
        hint=diag.message_hint,
        context=diag.context,
        statement_index=statement_index,
    )
    pos = diag.statement_position
    if pos and body_offset is not None:
        offset = int(pos) - 1 - body_offset
        if 0 <= offset <= len(body):
            f.line, f.column = position_to_line_col(body, offset)
            return f
    if statement_start is not None:
        offset = statement_start
        if diag.internal_position and diag.internal_query is None:
            offset += int(diag.internal_position) - 1
        f.line, f.column = position_to_line_col(body, offset)
    return f


# --- advisory lock -----------------------------------------------------------------------------


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    return int.from_bytes(hashlib.sha256(f"schemadb:{name}".encode()).digest()[:8], "big", signed=True)


_HOLDER_SQL = sql.SQL(
    "SELECT a.pid, a.application_name, a.usename AS user, a.client_addr::text AS client_addr,"
    " a.backend_start, a.state"
    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo}"
    " AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class AdvisoryLock:
    """Session-level advisory lock, polled with try-lock and backoff.

    While waiting no transaction or snapshot is held (each try is its own autocommit statement),
    so a waiting runner can never block the holder's CREATE INDEX CONCURRENTLY.
    """

    def __init__(self, conn: psycopg.Connection, name: str):
        self.conn = conn
        self.name = name
        self.key = lock_key(name)
        self.held = False

    def holder(self) -> dict | None:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        q = _HOLDER_SQL.format(hi=sql.Literal(unsigned >> 32), lo=sql.Literal(unsigned & 0xFFFFFFFF))
        with self.conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            row = cur.execute(q).fetchone()
        if row and row.get("backend_start"):
            row["backend_start"] = row["backend_start"].isoformat(timespec="seconds")
        return row

    def try_acquire(self) -> bool:
        got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
        self.held = bool(got)
        return self.held

    def acquire(self, wait: float, on_wait: Callable[[dict | None], None] | None = None) -> None:
        deadline = time.monotonic() + wait
        delay = 0.05
        announced = False
        while not self.try_acquire():
            if not announced and on_wait:
                on_wait(self.holder())
                announced = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                holder = self.holder() or {}
                who = (
                    f"pid {holder.get('pid')} ({holder.get('application_name') or 'no application name'},"
                    f" user {holder.get('user')}, since {holder.get('backend_start')})"
                    if holder
                    else "a session that has just released it"
                )
                raise LockBusyError(
                    f"lock {self.name!r} is held by {who}; gave up after {wait:g}s (--lock-wait)", holder
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)

    def try_or_wait(self, wait: float) -> dict | None:
        """For cron commands: None when acquired (waiting up to `wait` seconds), else the holder."""
        deadline = time.monotonic() + wait
        delay = 0.05
        while not self.try_acquire():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self.holder() or {}
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)
        return None

    def release(self) -> None:
        if self.held and not self.conn.closed:
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                pass
        self.held = False


# --- the application's pool and tenant transactions moved to schemadb.app; these names stay importable here

_MOVED_TO_APP = ("POOL_DEFAULTS", "pool_settings_from_env", "create_pool", "tenant", "unauthenticated")


def __getattr__(name: str):
    if name in _MOVED_TO_APP:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
