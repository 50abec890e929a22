"""The one lock-retry mechanism: every path that takes a lock on a live table goes through `LockRetry`.

A statement that needs a strong lock behind a long transaction queues every later query on that table
behind itself for as long as it waits. So each attempt waits only briefly (lock_timeout starts at 100 ms
and grows by half each attempt up to --lock-timeout), then gives up, sleeps (jittered, growing) so the
queued traffic drains, and tries again, until --lock-retry-for (the total budget) or --retries runs out
(GitLab's WithLockRetries and pgroll work the same way). While an attempt waits, a second connection
samples what it waits for and who holds it (pg_blocking_pids), so each retry line names the blocker.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
LOCK_NOT_AVAILABLE = "55P03"

DEFAULT_CAP_MS = 200  # one attempt never holds up the application longer than this
DEFAULT_BUDGET_S = 300.0  # a DBA running migrate by hand sees the blocker on every line and can act
FIRST_MS = 100


@dataclass(frozen=True)
class LockPolicy:
    cap_ms: int = DEFAULT_CAP_MS  # --lock-timeout: the longest single attempt
    budget_s: float = DEFAULT_BUDGET_S  # --lock-retry-for: the total time spent trying
    retries: int | None = None  # --retries: the most retries after the first attempt (None: the budget decides)

    def timeout_ms(self, attempt: int) -> int:
        """lock_timeout of attempt `attempt` (1-based): 100 ms, growing by half each time, up to the cap."""
        return int(min(self.cap_ms, FIRST_MS * 1.5 ** (attempt - 1)))

    def sleep_s(self, attempt: int, elapsed: float) -> float:
        """The pause after failed attempt `attempt`: 50 ms doubling, at most 1 s in the first minute (so that
        the change lands within a second or so of the blocker leaving), 5 s until ten minutes, then 30 s;
        jittered down to half so that several runners do not retry in step."""
        ceiling = 1.0 if elapsed < 60 else 5.0 if elapsed < 600 else 30.0
        return min(ceiling, 0.05 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


@dataclass
class Attempt:
    number: int
    timeout_ms: int
    waited_ms: int  # total time lost to locks before this attempt (failed attempts and pauses)


@dataclass
class LockStats:
    attempts: int = 0
    wait_ms: int = 0  # time lost to locks: failed attempts and the pauses between them
    blockers: list[dict] = field(default_factory=list)  # the last sample that found any
    waiting_for: dict | None = None
    exhausted: bool = False
    history: list[dict] = field(default_factory=list)  # one entry per failed attempt

    def to_json(self) -> dict:
        return {"attempts": self.attempts, "wait_ms": self.wait_ms, "exhausted": self.exhausted,
                "waiting_for": self.waiting_for, "blockers": self.blockers, "retries": self.history}


_PASSWORD = re.compile(r"(?i)(password\s*)('(?:[^']|'')*'|\S+)")


def describe_blockers(blockers: list[dict], waiting_for: dict | None) -> str:
    if not blockers:
        return "no blocker seen (the lock was free again by the time it was sampled)"
    what = ""
    if waiting_for:
        target = waiting_for.get("relation") or waiting_for.get("locktype")
        what = f"{waiting_for.get('mode')} on {target} is held by "
    parts = []
    for b in blockers[:3]:
        age = f", transaction open {b['xact_seconds']:.1f} s" if b.get("xact_seconds") is not None else ""
        query = f": {b['query']}" if b.get("query") else ""
        parts.append(f"pid {b['pid']} ({b.get('application_name') or 'no application name'}, user {b.get('user')}, "
                     f"{b.get('state')}{age}{query})")
    more = f" and {len(blockers) - 3} more" if len(blockers) > 3 else ""
    return what + "; ".join(parts) + more


def advice(blockers: list[dict]) -> str:
    pids = ", ".join(str(b["pid"]) for b in blockers[:3])
    cancel = f"cancel it (SELECT pg_cancel_backend({blockers[0]['pid']}))" if blockers else "find it in pg_stat_activity"
    return (f"wait for {'it' if len(blockers) <= 1 else 'them'} to finish{f' ({pids})' if pids else ''}, {cancel}, "
            "or run again later (--lock-retry-for allows a longer wait)")


class BlockerMonitor:
    """Samples, on a second connection, who blocks the attempt in progress (one daemon thread, one
    connection, both created on first need)."""

    def __init__(self, connect: Callable[[], object], after_s: float = 0.05, every_s: float = 0.1):
        self._connect = connect
        self._conn = None
        self._after = after_s
        self._every = every_s
        self._cond = threading.Condition()
        self._armed: int | None = None  # the backend pid being watched
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self.sample: tuple[dict | None, list[dict]] = (None, [])

    def arm(self, pid: int) -> None:
        with self._cond:
            self._armed = pid
            self._generation += 1
            self.sample = (None, [])
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="schemadb-lock-monitor", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> tuple[dict | None, list[dict]]:
        with self._cond:
            self._armed = None
            self._generation += 1
            self._cond.notify()
            return self.sample

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._armed is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                generation, pid = self._generation, self._armed
                self._cond.wait(self._after)
                if self._generation != generation or self._closed:
                    continue
            while True:
                found = self._query(pid)
                with self._cond:
                    if self._generation != generation or self._closed:
                        break
                    if found[1]:
                        self.sample = found
                    self._cond.wait(self._every)
                    if self._generation != generation or self._closed:
                        break

    def _query(self, pid: int) -> tuple[dict | None, list[dict]]:
        from psycopg.rows import dict_row

        from .resources import read_sql

        try:
            if self._conn is None:
                self._conn = self._connect()
            with self._conn.cursor(row_factory=dict_row) as cur:
                rows = cur.execute(read_sql("queries", "lock_blockers.sql"), {"pid": pid}).fetchall()
        except Exception:  # the monitor is a help: it never fails the run
            return None, []
        if not rows:
            return None, []
        waiting = {k: rows[0][k] for k in ("locktype", "mode", "relation")}
        blockers = []
        for r in rows:
            q = " ".join((r["query"] or "").split())
            blockers.append({"pid": r["pid"], "application_name": r["application_name"], "user": r["usename"],
                             "state": r["state"], "xact_seconds": r["xact_seconds"],
                             "query": _PASSWORD.sub(r"\1'***'", q)[:100]})
        return waiting, blockers

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass


class LockRetry(Generic[T]):
    """Runs one unit of work in attempts with growing lock timeouts (see the module doc)."""

    def __init__(self, policy: LockPolicy, emit: Callable[..., None] | None = None,
                 monitor: BlockerMonitor | None = None):
        self.policy = policy
        self.emit = emit
        self.monitor = monitor

    def run(self, attempt: Callable[[Attempt], T], timed_out: Callable[[T], bool], what: str,
            pid: int | None = None) -> tuple[T, LockStats]:
        """Call `attempt` until it does not time out on a lock, or the budget or --retries runs out; the
        last value is returned either way (stats.exhausted says which)."""
        stats = LockStats()
        started = time.monotonic()
        while True:
            stats.attempts += 1
            a = Attempt(stats.attempts, self.policy.timeout_ms(stats.attempts), stats.wait_ms)
            t0 = time.monotonic()
            if self.monitor is not None and pid is not None:
                self.monitor.arm(pid)
            try:
                value = attempt(a)
            finally:
                sample = self.monitor.disarm() if self.monitor is not None and pid is not None else (None, [])
            if not timed_out(value):
                return value, stats
            stats.wait_ms += int((time.monotonic() - t0) * 1000)
            if sample[1]:
                stats.waiting_for, stats.blockers = sample
            elapsed = time.monotonic() - started
            delay = self.policy.sleep_s(stats.attempts, elapsed)
            out_of_retries = self.policy.retries is not None and stats.attempts > self.policy.retries
            out_of_time = elapsed + delay >= self.policy.budget_s
            entry = {"attempt": a.number, "timeout_ms": a.timeout_ms, "waiting_for": sample[0],
                     "blockers": sample[1], "next_in_s": None if (out_of_retries or out_of_time) else round(delay, 2)}
            stats.history.append(entry)
            if self.emit:
                self.emit("lock_retry", what=what, elapsed_s=round(elapsed, 1), budget_s=self.policy.budget_s,
                          **entry)
            if out_of_retries or out_of_time:
                stats.exhausted = True
                return value, stats
            time.sleep(delay)
            stats.wait_ms += int(delay * 1000)

    def exhausted_message(self, what: str, stats: LockStats, undone: str = "nothing of it was applied") -> str:
        from .config import format_duration_ms

        why = (f"--retries {self.policy.retries}" if self.policy.retries is not None and
               stats.attempts > self.policy.retries else f"--lock-retry-for {format_duration_ms(self.policy.budget_s * 1000)}")
        return (f"{what}: could not take its locks in {stats.attempts} attempt(s) over {stats.wait_ms / 1000:.1f} s "
                f"({why}): {describe_blockers(stats.blockers, stats.waiting_for)}; {undone}; {advice(stats.blockers)}")

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()


def is_lock_timeout(e) -> bool:
    return e is not None and getattr(e, "sqlstate", None) == LOCK_NOT_AVAILABLE


def in_transaction(conn, retry: LockRetry, work: Callable[[], T], what: str) -> T:
    """`work()` in a transaction with SET LOCAL lock_timeout, retried as the policy says. Raises
    LockRetryExhausted (naming the blocker) when it cannot get its locks."""
    import psycopg
    from psycopg import sql

    def attempt(a: Attempt):
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{a.timeout_ms}ms")))
                return True, work()
        except psycopg.errors.LockNotAvailable as e:
            return False, e

    (ok, value), stats = retry.run(attempt, lambda r: not r[0], what, conn.info.backend_pid)
    if not ok:
        from .errors import LockRetryExhausted

        raise LockRetryExhausted(retry.exhausted_message(what, stats), stats)
    return value


def from_settings(settings, emit=None, dsn: str | None = None, command: str = "") -> LockRetry:
    """The policy of --lock-timeout, --lock-retry-for and --retries, with a blocker monitor on its own
    connection to the same database."""
    from . import db

    policy = LockPolicy(cap_ms=settings.lock_timeout_ms, budget_s=settings.lock_retry_for_s,
                        retries=settings.retries)
    monitor = BlockerMonitor(lambda: db.connect(settings, f"{command} lock monitor".strip(), dsn=dsn))
    return LockRetry(policy, emit, monitor)
