"""Running a `-- schemadb:no-transaction` file statement by statement, resumable, never repeating work.

Each statement that PostgreSQL accepts in a transaction block runs in one message together with the
update of the file's progress row, so the statement and the record that it ran commit together: an
interrupt or a kill at any moment leaves it done-and-recorded or not done. A BEGIN … COMMIT group in
the file runs the same way, as one unit. The statements PostgreSQL refuses in a transaction block
(CREATE/DROP/REINDEX … CONCURRENTLY, VACUUM, ALTER SYSTEM, …) run alone, and what they leave is checked
before they are run again: a valid index is not built twice, an INVALID one is dropped first, a
dropped index is not dropped again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from . import partindex
from .db import failure_from_error, run_script, take_notices
from .errors import MigrationError, SqlFailure, ValidationError
from .execute import Context, FileRun, _log_failure, _rollback, as_runner
from .history import Progress
from .interrupts import deferred
from .locks import is_lock_timeout
from .migrations import SqlFile
from .sqltext import (
    TX_CLOSE,
    TX_OPEN,
    SqlSyntaxError,
    Stmt,
    concurrent_index,
    position_to_line_col,
    refused_in_transaction,
    transaction_control,
)


def digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass
class Unit:
    first: int  # index of its first statement
    last: int  # index of its last statement
    body: list[int]  # the statements it runs (a BEGIN … COMMIT group without its BEGIN and COMMIT)
    alone: str | None  # why it must run outside a transaction block, or None

    @property
    def done_after(self) -> int:
        return self.last + 1


def units_of(stmts: list[Stmt], display: str, text: str) -> list[Unit]:
    out: list[Unit] = []
    i = 0
    while i < len(stmts):
        s = stmts[i]
        tx = s.props.get("tx")
        if tx in TX_OPEN:
            j = i + 1
            while j < len(stmts) and stmts[j].props.get("tx") not in TX_CLOSE:
                if transaction_control(stmts[j]):
                    break
                j += 1
            if j >= len(stmts) or stmts[j].props.get("tx") not in TX_CLOSE:
                line, _ = position_to_line_col(text, s.start)
                raise ValidationError(f"{display}:{line}: BEGIN without a matching COMMIT in a no-transaction file "
                                      "(each BEGIN … COMMIT group runs as one unit)")
            inner = list(range(i + 1, j))
            for k in inner:
                why = refused_in_transaction(stmts[k])
                if why:
                    line, _ = position_to_line_col(text, stmts[k].start)
                    raise ValidationError(f"{display}:{line}: {why} cannot run inside the BEGIN … COMMIT group "
                                          "that contains it")
            out.append(Unit(i, j, inner, None))
            i = j + 1
            continue
        if transaction_control(s):
            line, _ = position_to_line_col(text, s.start)
            raise ValidationError(f"{display}:{line}: transaction control outside a BEGIN … COMMIT group")
        out.append(Unit(i, i, [i], refused_in_transaction(s)))
        i += 1
    return out


def run_statements(ctx: Context, f: SqlFile, action: str, finish: str, display: str,
                   progress: Progress | None) -> FileRun:
    from .facts import statements

    try:
        stmts = statements(f)
    except SqlSyntaxError as e:
        line, col = position_to_line_col(f.text, e.offset)
        raise MigrationError(action, f.version, f.name, SqlFailure(
            path=display, line=line, column=col, sqlstate="42601", message=e.message)) from None
    return _Run(ctx, f, action, display, stmts).run(finish, progress)


class _Run:
    def __init__(self, ctx: Context, f: SqlFile, action: str, display: str, stmts: list[Stmt]):
        self.ctx, self.conn, self.f, self.action, self.display = ctx, ctx.conn, f, action, display
        self.stmts = stmts
        self.text = f.text
        self.texts = [s.text(self.text) for s in stmts]
        self.units = units_of(stmts, display, self.text)
        self.log_id = 0
        self.started = time.monotonic()

    def run(self, finish: str, progress: Progress | None) -> FileRun:
        ctx, conn, f, texts = self.ctx, self.conn, self.f, self.texts
        resume = 0
        if progress is not None:
            n = progress.statements_done
            if n > len(texts) or digest(texts[:n]) != progress.done_checksum:
                raise ValidationError(
                    f"{self.display}: {n} statement(s) of this no-transaction file already ran, and they were "
                    "edited since; restore them (only statements not yet run may change), or, after review, "
                    "`schemadb repair` closes that run so that the file starts again at its first statement")
            resume = n
            ctx.emit("resume", version=f.version, name=f.name, statement=n + 1, total=len(texts))
        with deferred(), as_runner(conn):
            self.log_id = ctx.history.log(
                conn, run_id=ctx.run_id, action=self.action, version=f.version, name=f.name, checksum=f.checksum,
                outcome="running", transactional=False, statements_done=resume, statements_total=len(texts),
                done_checksum=digest(texts[:resume]), backup_file=ctx.backup_file, notes=ctx.notes.get(f.version))
        attempts, waited = 1, 0
        try:
            for u in self.units:
                if u.last < resume:
                    continue
                fresh_resume = progress is not None and u.first == resume
                stats = self.alone(u, fresh_resume) if u.alone else self.together(u)
                if stats is not None:
                    attempts, waited = max(attempts, stats.attempts), waited + stats.wait_ms
            elapsed = int((time.monotonic() - self.started) * 1000)
            run = FileRun(f.version, f.name, self.action, elapsed, False, attempts,
                          resumed_at=resume + 1 if progress else None, notices=take_notices(), lock_wait_ms=waited)
            with deferred():
                with as_runner(conn):
                    conn.execute(finish)
                    conn.execute(ctx.history.q(
                        "log_update", outcome="ok", duration_ms=elapsed, statements_done=len(texts),
                        done_checksum=digest(texts), error=None, lock_attempts=attempts, lock_wait_ms=waited,
                        notes=None, id=self.log_id))
                ctx.committed(run)
        finally:
            if not conn.closed and not conn.broken:
                with deferred():
                    _rollback(conn)
                    conn.execute("RESET ALL")
                    conn.execute("RESET ROLE")
        return run

    # -- bookkeeping --
    def progress_sql(self, done: int) -> str:
        return self.ctx.history.render(self.conn, "log_update", outcome="running", duration_ms=None,
                                       statements_done=done, done_checksum=digest(self.texts[:done]), error=None,
                                       lock_attempts=None, lock_wait_ms=None, notes=None, id=self.log_id)

    def record(self, done: int) -> None:
        with deferred(), as_runner(self.conn):
            self.conn.execute(self.progress_sql(done))

    def what(self, u: Unit) -> str:
        return f"{self.f.version} {self.f.name} statement {u.first + 1} of {len(self.texts)}"

    def fail(self, u: Unit, failure: SqlFailure, stats, invalid_index: str | None = None):
        f = self.f
        failure.statement_index = u.first
        failure.statements_done = list(range(1, u.first + 1))
        if stats is not None and stats.exhausted:
            failure.message = self.ctx.locks.exhausted_message(
                self.what(u), stats, f"statement {u.first + 1} was not applied (the ones before it were, and are "
                                     "recorded: the next run resumes there)" if u.first else "nothing of it was applied")
            failure.locks = stats.to_json()
        if invalid_index:
            failure.invalid_index = invalid_index
            failure.message += f" (left INVALID index {invalid_index}; it is dropped before the retry)"
        elapsed = int((time.monotonic() - self.started) * 1000)
        _log_failure(self.ctx, f, self.action, False, elapsed, failure, stats, self.log_id, u.first,
                     digest(self.texts[:u.first]))
        raise MigrationError(self.action, f.version, f.name, failure)

    def interrupted(self, u: Unit, result) -> None:
        total = len(self.texts)
        line, col = position_to_line_col(self.text, self.stmts[u.first].start)
        if result.committed:
            done = list(range(1, u.done_after + 1))
            msg = (f"interrupted after statement {u.last + 1} of {total} committed; the next run resumes at "
                   f"statement {u.done_after + 1}" if u.done_after < total else
                   "interrupted after its last statement committed; the next run records the file as applied")
        else:
            done = list(range(1, u.first + 1))
            msg = (f"interrupted during statement {u.first + 1} of {total}: it was rolled back (or, run alone, "
                   "cancelled); the next run resumes there")
            if not result.broken:
                _rollback(self.conn)
        failure = SqlFailure(path=self.display, line=line, column=col, message=msg, interrupted=True,
                             statement_index=u.first, statements_done=done)
        raise MigrationError(self.action, self.f.version, self.f.name, failure)

    # -- the two ways of running a unit --
    def together(self, u: Unit):
        """The unit's statements and its progress row in one transaction, in one message."""
        conn = self.conn
        record = self.progress_sql(u.done_after)
        chunks = [self.texts[k] + "\n;\n" for k in u.body]
        offsets = [sum(len(c) for c in chunks[:n]) for n in range(len(chunks))]
        body = "".join(chunks)
        lead_len = [0]

        def attempt(a):
            lead = f"BEGIN; SET LOCAL lock_timeout = '{int(a.timeout_ms)}ms';\n"
            lead_len[0] = len(lead)
            result = run_script(conn, f"{lead}{body}\nSET LOCAL ROLE NONE;\n{record};\nCOMMIT;")
            if not result.interrupted and not result.broken:
                _rollback(conn)
            return result

        result, stats = self.ctx.locks.run(attempt, lambda r: is_lock_timeout(r.error) and not r.interrupted,
                                           self.what(u), conn.info.backend_pid)
        if result.interrupted or result.broken:
            self.interrupted(u, result)
        if result.error is None:
            return stats
        e, pos = result.error, result.error.diag.statement_position
        index = result.error_index - 2  # BEGIN and SET LOCAL come first
        if pos and u.body and 0 <= int(pos) - 1 - lead_len[0] < len(body):
            off = int(pos) - 1 - lead_len[0]
            n = max(i for i, start in enumerate(offsets) if start <= off)
            k = u.body[n]
            failure = failure_from_error(self.display, self.text, e, lead_len[0] + offsets[n] - self.stmts[k].start)
        elif 0 <= index < len(u.body):
            k = u.body[index]
            failure = failure_from_error(self.display, self.text, e, None, self.stmts[k].start, k)
        else:
            from .execute import bookkeeping_message

            failure = failure_from_error(self.display, "", e, None)
            failure.message = bookkeeping_message(self.ctx.history, failure.message)
        self.fail(u, failure, stats)

    def alone(self, u: Unit, fresh_resume: bool):
        """A statement PostgreSQL refuses in a transaction block: run by itself, then recorded; before it
        runs (again), what an earlier attempt left is checked."""
        conn, f = self.conn, self.f
        s = self.stmts[u.first]
        table = partindex.target_table(conn, s)
        if table is not None:  # PostgreSQL refuses CONCURRENTLY there: partition by partition
            return self.partitioned(u, s, table)
        if partindex.partitioned_drop(conn, s):
            return self.partitioned_drop(u, s)
        index = concurrent_index(s)
        label = ".".join(x for x in index if x) if index else None
        if index is not None:
            state = _index_state(conn, *index)
            if state is True and fresh_resume:  # the killed run finished it before recording it
                self.ctx.emit("skip_done", version=f.version, statement=u.first + 1, index=label)
                self.record(u.done_after)
                return None
            if state is False:
                self.ctx.emit("drop_invalid_index", version=f.version, index=label)
        elif fresh_resume and _already_done(conn, s):
            self.ctx.emit("skip_done", version=f.version, statement=u.first + 1, index=None)
            self.record(u.done_after)
            return None

        def statements():
            # what an earlier attempt left (an INVALID index, REINDEX's _ccnew copies) goes first; dropping it
            # waits for the same blocker, so a lock timeout there is one more attempt like any other
            return [sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(leftover).as_string(conn)
                    for leftover in _leftovers(conn, s, index)] + [self.texts[u.first]]

        result, stats = self.ctx.locks.run(self.attempt_of(statements),
                                           lambda r: is_lock_timeout(r.error) and not r.interrupted,
                                           self.what(u), conn.info.backend_pid)
        if result.interrupted and result.error is None and result.completed and not result.broken:
            self.record(u.done_after)  # it completed before the cancel arrived: record it, then stop
            self.interrupted(u, _Committed())
        if result.interrupted or result.broken:
            self.interrupted(u, result)
        if result.error is not None:
            failure = failure_from_error(self.display, self.text, result.error, -s.start, s.start, u.first)
            invalid = label if index is not None and _index_state(conn, *index) is False else None
            self.fail(u, failure, stats, invalid)
        self.record(u.done_after)
        return stats

    def attempt_of(self, statements):
        """One attempt of a statement run alone: the session's lock_timeout for this attempt, then what
        `statements()` gives (asked anew each attempt), stopping at the first error or interrupt."""
        def attempt(a):
            self.conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{a.timeout_ms}ms")))
            result = None
            for text in statements():
                result = run_script(self.conn, text)
                if result.error is not None or result.interrupted:
                    break
            return result
        return attempt

    def step(self, u: Unit, statements, what: str):
        """One step of a statement that schemadb carries out in several (each its own transaction, each through
        the lock retries); a failure, an interrupt or a spent budget ends the file's run like the statement's."""
        result, stats = self.ctx.locks.run(self.attempt_of(statements),
                                           lambda r: is_lock_timeout(r.error) and not r.interrupted,
                                           f"{self.what(u)}: {what}", self.conn.info.backend_pid)
        if result.interrupted or result.broken:
            self.interrupted(u, result)
        if result.error is not None:
            s = self.stmts[u.first]
            failure = failure_from_error(self.display, self.text, result.error, None, s.start, u.first)
            failure.message += f" (in {what})"
            self.fail(u, failure, stats)
        return stats

    def partitioned(self, u: Unit, s: Stmt, table):
        build = partindex.PartitionedIndex(self.conn, self.texts[u.first], table,
                                           lambda statements, what: self.step(u, statements, what), self.ctx.emit)
        try:
            stats = build.run()
        except partindex.Refused as e:
            line, col = position_to_line_col(self.text, s.start)
            self.fail(u, SqlFailure(path=self.display, line=line, column=col, sqlstate="0A000", message=str(e)), None)
        self.record(u.done_after)
        return stats

    def partitioned_drop(self, u: Unit, s: Stmt):
        text = partindex.plain_drop(self.texts[u.first])
        stats = self.step(u, lambda: [text],
                          "DROP INDEX of a partitioned index (PostgreSQL cannot drop one concurrently)")
        self.record(u.done_after)
        return stats


class _Committed:
    committed = True
    broken = False


# --- statements that must run alone ----------------------------------------------------------------


def _index_state(conn: psycopg.Connection, schema: str | None, name: str) -> bool | None:
    """True valid, False invalid, None absent (an unqualified name is looked up on the search path)."""
    ident = (sql.Identifier(schema, name) if schema else sql.Identifier(name)).as_string(conn)
    row = conn.execute("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)",
                       (ident,)).fetchone()
    return None if row is None else bool(row[0])


def _already_done(conn: psycopg.Connection, s: Stmt) -> bool:
    """For a resumed statement whose earlier run may have finished unrecorded: is its effect there?"""
    p = s.props
    if s.kind == "DropStmt" and p.get("concurrent") and p.get("type") == "index":
        return all(q and _index_state(conn, *q) is None for q in p.get("objects", []))
    if s.kind == "CreatedbStmt":
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (p.get("dbname"),)).fetchone())
    if s.kind == "DropdbStmt":
        return not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (p.get("dbname"),)).fetchone()
    return False  # VACUUM, REINDEX, ALTER SYSTEM, …: running them again is harmless


def _leftovers(conn: psycopg.Connection, s: Stmt, index: tuple | None) -> list[sql.Identifier]:
    """The INVALID indexes an earlier attempt of this statement left: the index a CREATE INDEX CONCURRENTLY
    creates before it waits, or the <index>_ccnew copies of a REINDEX CONCURRENTLY."""
    if index is not None:
        return [sql.Identifier(*[x for x in index if x])] if _index_state(conn, *index) is False else []
    if s.kind != "ReindexStmt":
        return []
    rel = s.props.get("relation") or [None, ""]
    target = (sql.Identifier(*rel) if rel[0] else sql.Identifier(rel[1])).as_string(conn)
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND c.relname ~ '_ccnew[0-9]*$'"
        " AND (i.indrelid = to_regclass(%s) OR i.indexrelid IN (SELECT indexrelid FROM pg_index"
        "      WHERE indrelid = (SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass(%s))))",
        (target, target)).fetchall()
    return [sql.Identifier(schema, name) for schema, name in rows]
