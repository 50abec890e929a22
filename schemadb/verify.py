"""`schemadb verify`: prove that every rollback restores the schema exactly.

On a scratch database, for each migration in order: apply it, roll it back and compare the catalog with
what it was before; then apply it again and compare with what the first apply made; and go on. A
rollback that fails inside its transaction leaves the database as the migration made it, so the proof
goes on from there; when the database is in no known state (a no-transaction file failed half way), a
scratch database verify created itself is rebuilt by applying the migrations so far, and a given one
stops, naming every version that went unchecked.

The scratch database is never a database with anything in it: `--scratch-dsn` is refused (exit 2,
nothing created or changed) unless it holds nothing beyond what CREATE DATABASE gives; the database
verify creates itself is named `schemadb_verify_scratch_…`, made from template0, and dropped whatever
happens, Ctrl-C included.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import db as dbmod
from .config import Settings, describe_dsn
from .diff import Difference, compare
from .errors import ConfigError, MigrationError, ValidationError
from .execute import Context, InterruptedAfter, new_run_id, run_file
from .history import History
from .interrupts import deferred
from .migrations import Migration, scan
from .records import _version_key
from .resources import read_sql
from .snapshot import Tracker, full_snapshot
from .state import directory_of, display


@dataclass
class Proof:
    version: str
    name: str
    outcome: str = "symmetric"  # symmetric | asymmetric | failed | irreversible | unchecked
    differences: list[Difference] = field(default_factory=list)
    warnings: list[Difference] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict:
        return {"version": self.version, "name": self.name, "outcome": self.outcome, "error": self.error,
                "differences": [d.to_json() for d in self.differences],
                "warnings": [d.to_json() for d in self.warnings]}


@dataclass
class VerifyResult:
    scratch: str
    mode: str = "incremental"  # incremental (event triggers) | full (a whole snapshot per step)
    proofs: list[Proof] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missed: list[Difference] = field(default_factory=list)  # the final whole snapshot saw what steps did not
    total_ms: int = 0

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("symmetric", "asymmetric", "failed", "irreversible", "unchecked")}
        for p in self.proofs:
            out[p.outcome] += 1
        return out

    @property
    def ok(self) -> bool:
        c = self.counts
        return not (c["asymmetric"] or c["failed"])

    def to_json(self) -> dict:
        return {"command": "verify", "scratch": self.scratch, "mode": self.mode, "total_ms": self.total_ms,
                "counts": self.counts, "ok": self.ok,
                **{k: [p.version for p in self.proofs if p.outcome == k]
                   for k in ("asymmetric", "failed", "irreversible", "unchecked")},
                "notes": self.notes, "missed": [d.to_json() for d in self.missed],
                "migrations": [p.to_json() for p in self.proofs]}


def _check_empty(conn: psycopg.Connection, where: str) -> None:
    found = [r[0] for r in conn.execute(read_sql("internal", "verify_empty.sql"), {}).fetchall()]
    if found:
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise ConfigError(f"scratch database {where} is not empty: it holds {', '.join(found[:5])}{more}; verify "
                          "runs every migration and rollback on it, so it must hold nothing (CREATE DATABASE … gives "
                          "such a database), or leave --scratch-dsn out; nothing was created or changed")


def _window(migrations: list[Migration], from_: str | None, to: str | None) -> tuple[list, list]:
    """(migrations applied without proof, migrations proven)."""
    keys = {m.key for m in migrations}
    lo = _version_key(from_) if from_ else None
    hi = _version_key(to) if to else None
    for v, k in (("--from", lo), ("--to", hi)):
        if k is not None and k not in keys:
            raise ConfigError(f"{v}: no migration with version {from_ if v == '--from' else to}")
    before = [m for m in migrations if lo is not None and m.key < lo]
    proven = [m for m in migrations if (lo is None or m.key >= lo) and (hi is None or m.key <= hi)]
    return before, proven


def verify(settings: Settings, scratch_dsn: str | None = None, emit=None, from_: str | None = None,
           to: str | None = None, ignore: frozenset[str] = frozenset(), full_snapshots: bool = False) -> VerifyResult:
    emit = emit or (lambda *a, **k: None)
    root = directory_of(settings)
    sc = scan(root)
    if sc.problems:
        raise ValidationError(f"verify refused: {len(sc.problems)} problem(s); nothing was changed", sc.problems)
    before, proven = _window(sc.migrations, from_, to)
    scratch = _Scratch(settings, scratch_dsn)
    started = time.monotonic()
    try:
        scratch.open()
        run = _Run(settings, scratch, full_snapshots, ignore, emit)
        result = run.prove(before, proven)
    finally:
        scratch.close()
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


class _Scratch:
    """The scratch database: given (and checked empty) or created, and then always dropped."""

    def __init__(self, settings: Settings, dsn: str | None):
        self.settings = settings
        self.given = dsn
        self.dsn = dsn
        self.created: str | None = None
        self._admin: psycopg.Connection | None = None

    def open(self) -> None:
        if self.given:
            with dbmod.connect(self.settings, "verify", dsn=self.given, writable=True) as c:
                _check_empty(c, describe_dsn(self.given))
            return
        self._admin = dbmod.connect(self.settings, "verify", writable=True)
        base = self._admin.info.dbname
        self._create(f"schemadb_verify_scratch_{base[:24]}_{secrets.token_hex(4)}")

    def _create(self, name: str) -> None:
        from psycopg.conninfo import make_conninfo

        try:
            self._admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        except psycopg.Error as e:
            raise ConfigError(f"cannot create a scratch database ({e.diag.message_primary}); pass --scratch-dsn "
                              "with an empty database") from None
        self.created = name
        # a throwaway database: its commits need not wait for the disk (a startup option: RESET ALL keeps it)
        base = self.settings.require_dsn()
        from psycopg.conninfo import conninfo_to_dict

        options = (conninfo_to_dict(base).get("options") or "") + " -c synchronous_commit=off"
        self.dsn = make_conninfo(base, dbname=name, options=options.strip())

    @property
    def rebuildable(self) -> bool:
        return self.created is not None

    def recreate(self) -> None:
        name = self.created
        self._drop()
        self._create(name)

    def _drop(self) -> None:
        if self.created and self._admin is not None and not self._admin.closed:
            with deferred():  # Ctrl-C never leaves a scratch database behind
                self._admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.created)))
            self.created = None

    def close(self) -> None:
        try:
            self._drop()
        finally:
            if self._admin is not None:
                self._admin.close()


class _Run:
    def __init__(self, settings: Settings, scratch: _Scratch, full_snapshots: bool, ignore, emit):
        self.settings = settings
        self.scratch = scratch
        self.full_snapshots = full_snapshots
        self.ignore = ignore
        self.emit = emit
        self.history = History(settings)
        self.result = VerifyResult(describe_dsn(scratch.dsn))
        self.conn = self.snap_conn = None

    # -- the scratch database's connections, tracking and history --
    def _connect(self) -> None:
        from . import locks

        s = self.settings.with_(dsn=self.scratch.dsn)
        self.conn = dbmod.connect(s, "verify", dsn=self.scratch.dsn)
        self.snap_conn = dbmod.connect(s, "verify snapshot", dsn=self.scratch.dsn)
        incremental = not self.full_snapshots and Tracker.setup(self.conn)
        self.result.mode = "incremental" if incremental else "full"
        self.history.ensure(self.conn)
        self.tracker = Tracker(self.snap_conn, self.history, incremental)
        self.tracker.full()
        self.ctx = Context(self.conn, self.history, new_run_id(), locks.from_settings(s, self.emit, dsn=self.scratch.dsn,
                           command="verify"), self.emit, s)

    def _disconnect(self) -> None:
        for c in (self.conn, self.snap_conn):
            if c is not None and not c.closed:
                if not self.scratch.created and self.result.mode == "incremental" and c is self.conn:
                    try:
                        Tracker.teardown(c)  # a given scratch database keeps the migrations, not verify's tracking
                    except psycopg.Error:
                        pass
                c.close()
        if getattr(self, "ctx", None) is not None:
            self.ctx.locks.close()

    def _run(self, m: Migration, action: str) -> None:
        f = m.up if action == "apply" else m.down
        finish = (self.history.render(self.conn, "history_insert", version=m.version, name=m.name,
                                      checksum=m.up.checksum, rollback_checksum=m.down.checksum,
                                      transactional=m.up.transactional, duration_ms=None)
                  if action == "apply" else self.history.render(self.conn, "history_delete", version=m.version))
        try:
            run_file(self.ctx, f, action, finish, display(f))
        except InterruptedAfter:
            raise KeyboardInterrupt from None

    # -- the proof --
    def prove(self, before: list[Migration], proven: list[Migration]) -> VerifyResult:
        try:
            self._connect()
            if before:
                self._build(before, proven[0].version if proven else before[-1].version)
            for i, m in enumerate(proven):
                if not self._prove_one(m, before + proven[:i]):
                    for rest in proven[i + 1:]:
                        self.result.proofs.append(Proof(rest.version, rest.name, "unchecked"))
                    break
            if self.result.mode == "incremental" and self.conn is not None:
                self._self_check()
        finally:
            self._disconnect()
        return self.result

    def _build(self, migrations: list[Migration], upto: str) -> None:
        for m in migrations:
            try:
                self._run(m, "apply")
            except MigrationError as e:
                raise ConfigError(f"the scratch database could not be built up to {upto} (--from): {e.message}") from None
        self.tracker.step()
        self.emit("verify_note", message=f"applied {len(migrations)} migration(s) before {upto} without proving them")

    def _rebuild(self, done: list[Migration], why: str) -> bool:
        """A fresh scratch database with `done` applied; False when verify may not rebuild (given database)."""
        if not self.scratch.rebuildable:
            self.result.notes.append(f"{why}; the scratch database was given (--scratch-dsn), so it is not "
                                     "rebuilt: the migrations after it went unchecked")
            return False
        self._disconnect()
        self.scratch.recreate()
        self._connect()
        for m in done:
            try:
                self._run(m, "apply")
            except MigrationError as e:
                self.result.notes.append(f"{why}; rebuilding the scratch database failed at {m.version} {m.name} "
                                         f"({e.failure.one_line()}): the migrations after it went unchecked")
                return False
        self.tracker.step()
        self.result.notes.append(f"{why}; the scratch database was rebuilt by applying the migrations up to "
                                 f"{done[-1].version if done else 'none'}")
        return True

    def _prove_one(self, m: Migration, done: list[Migration]) -> bool:
        """Prove one migration; False when the ones after it cannot be proven (and are left unchecked)."""
        proof = Proof(m.version, m.name)
        self.result.proofs.append(proof)
        try:
            self._run(m, "apply")
        except MigrationError as e:
            proof.outcome, proof.error = "failed", f"apply failed: {e.failure.one_line()}"
            self.emit("verify", version=m.version, name=m.name, outcome=proof.error)
            self.result.notes.append(f"{m.version} {m.name} does not apply on the scratch database: the "
                                     "migrations after it went unchecked")
            return False
        applied = self.tracker.step()
        if m.irreversible:
            proof.outcome = "irreversible"
            self.emit("verify", version=m.version, name=m.name, outcome="irreversible (rollback has no statement)")
            return True
        try:
            self._run(m, "rollback")
        except MigrationError as e:
            proof.outcome, proof.error = "failed", f"rollback failed: {e.failure.one_line()}"
            self.emit("verify", version=m.version, name=m.name, outcome=proof.error)
            if m.down.transactional:  # rolled back whole: the database is as the migration made it
                self.tracker.step()
                return True
            return self._rebuild(done + [m], f"{m.version} {m.name}'s no-transaction rollback failed half way")
        rolled = self.tracker.step()
        before = {k: (applied.prior[k] if k in applied.prior else rolled.prior[k])
                  for k in applied.prior.keys() | rolled.prior.keys()}
        self._record(proof, compare(before, {k: self.tracker.objects.get(k) for k in before}, "rollback",
                                    self.ignore))
        try:
            self._run(m, "apply")
        except MigrationError as e:  # asymmetric when the rollback left something (the likely cause), else failed
            proof.outcome = "asymmetric" if proof.differences else "failed"
            proof.error = f"re-apply failed: {e.failure.one_line()}"
            self.emit("verify", version=m.version, name=m.name, outcome=proof.error)
            return self._rebuild(done + [m], f"{m.version} {m.name} could not be applied again after its rollback")
        again = self.tracker.step()
        made = {k: (rolled.prior[k] if k in rolled.prior else again.prior[k])
                for k in rolled.prior.keys() | again.prior.keys()}
        self._record(proof, compare(made, {k: self.tracker.objects.get(k) for k in made}, "re-apply", self.ignore))
        if proof.outcome == "symmetric" and proof.differences:
            proof.outcome = "asymmetric"
        self.emit("verify", version=m.version, name=m.name,
                  outcome="ok" if proof.outcome == "symmetric" else f"{len(proof.differences)} difference(s)")
        return True

    @staticmethod
    def _record(proof: Proof, diffs: list[Difference]) -> None:
        for d in diffs:
            (proof.warnings if d.warning else proof.differences).append(d)

    def _self_check(self) -> None:
        """One whole snapshot at the end, against the state kept step by step: what the steps' tracking
        missed is reported (it cannot be attributed to a migration; --full-snapshots attributes it)."""
        whole = full_snapshot(self.snap_conn, self.history)
        kept = self.tracker.objects
        self.result.missed = [d for d in compare(kept, whole, "self-check") if not d.warning]


__all__ = ["verify", "VerifyResult", "Proof", "full_snapshot"]
