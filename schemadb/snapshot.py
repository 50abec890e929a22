"""Catalog snapshots for `schemadb verify`, kept current step by step.

A whole snapshot reads every object of the scratch database (sql/internal/snapshot*.sql). After that,
each step (a migration applied, rolled back, re-applied) only re-reads what it touched: event triggers
in the scratch database record every object a DDL statement creates, alters or drops, and their scopes
(a table with its columns, constraints, indexes, triggers, policies and rules; a function; a type; a
schema; the rare kinds) are read again. So a step costs what it touched, not the size of the schema, and
verify stays linear in the length of the history. Without a superuser (event triggers need one) every
step reads a whole snapshot, which is slower but sees the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .history import History
from .resources import read_sql

Key = tuple[str, str]  # (kind, name)
WARN_KINDS = {"role", "membership"}  # cluster-wide: another database may have changed them
_ALWAYS = "always"


@dataclass
class Change:
    """What one step changed: for every key it re-read, the details before the step (None: absent)."""

    prior: dict[Key, dict | None]


class Tracker:
    def __init__(self, conn: psycopg.Connection, history: History, incremental: bool):
        self.conn = conn  # a connection of its own: its planner settings never reach the migrations
        self.history = history
        self.incremental = incremental
        self.objects: dict[Key, dict] = {}
        self.scope_of: dict[Key, str] = {}
        self.keys_of: dict[str, set[Key]] = {}
        self.own_scope: dict[str, str] = {}
        conn.execute("SET jit = off")  # the snapshot queries are large; compiling them costs seconds
        conn.execute("SET plan_cache_mode = force_generic_plan")  # planned once, driven by the oid arrays
        fmt = dict(history_text=sql.Literal(history.ids["history"].as_string(None)),
                   log_text=sql.Literal(history.ids["log"].as_string(None)))
        self._scoped = sql.SQL(read_sql("internal", "snapshot.sql")).format(**fmt)
        self._rare = sql.SQL(read_sql("internal", "snapshot_rare.sql"))
        self._always = sql.SQL(read_sql("internal", "snapshot_always.sql"))

    @staticmethod
    def setup(conn: psycopg.Connection) -> bool:
        """Create the tracking event triggers; False when this login may not (then every step is whole)."""
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        if not superuser:
            return False
        with conn.transaction():
            conn.execute(read_sql("internal", "verify_tracking.sql"))
        return True

    @staticmethod
    def teardown(conn: psycopg.Connection) -> None:
        conn.execute(read_sql("internal", "verify_untracking.sql"))

    # -- reading --
    def _read(self, rels: Iterable[int] = (), procs: Iterable[int] = (), types: Iterable[int] = (),
              nsps: Iterable[int] = (), rare: bool = True) -> list[tuple]:
        params = {"rels": list(rels), "procs": list(procs), "types": list(types), "nsps": list(nsps)}
        rows = self.conn.execute(self._scoped, params, prepare=True).fetchall()
        if rare:
            rows += self.conn.execute(self._rare, {}, prepare=True).fetchall()
        return rows + [(k, n, d, _ALWAYS, o) for k, n, d, _s, o in
                       self.conn.execute(self._always, {}, prepare=True).fetchall()]

    def _store(self, rows: list[tuple]) -> None:
        for kind, name, details, scope, own in rows:
            key = (kind, name)
            self.objects[key] = details
            self.scope_of[key] = scope
            self.keys_of.setdefault(scope, set()).add(key)
            if own:
                self.own_scope[own] = scope

    def _forget(self, scopes: set[str]) -> dict[Key, dict | None]:
        prior: dict[Key, dict | None] = {}
        for scope in scopes:
            for key in self.keys_of.pop(scope, set()):
                prior[key] = self.objects.pop(key, None)
                self.scope_of.pop(key, None)
        return prior

    def full(self) -> Change:
        """Read every object again (the start, a rebuilt database, and every step without event triggers)."""
        oids = self.conn.execute(read_sql("internal", "snapshot_oids.sql")).fetchone()
        rows = self._read(*oids)
        prior = dict(self.objects)
        self.objects, self.scope_of, self.keys_of, self.own_scope = {}, {}, {}, {}
        self._store(rows)
        for key in self.objects:
            prior.setdefault(key, None)
        if self.incremental:
            self.conn.execute(read_sql("internal", "verify_forget.sql"))
        return Change(prior)

    def step(self) -> Change:
        """Bring the objects up to date after a step; return what was re-read, with its values before."""
        if not self.incremental:
            return self.full()
        touched = self.conn.execute(read_sql("internal", "verify_touched.sql")).fetchall()
        if touched:
            self.conn.execute(read_sql("internal", "verify_forget.sql"))
        scopes = {_ALWAYS}
        live_classes, live_objects = [], []
        rare = False
        if any(r[0] is None for r in touched):  # GRANT, REVOKE, ALTER DEFAULT PRIVILEGES: found by their transaction
            xids = sorted({r[4] for r in touched if r[0] is None})
            touched += [(c, o, 0, False, None) for c, o in self.conn.execute(
                read_sql("internal", "verify_by_xid.sql"), {"xids": xids}).fetchall()]
            rare = True
        for classid, objid, _subid, dropped, _xid in touched:
            if classid is None:
                continue
            if dropped:
                scope = self.own_scope.get(_own_key(classid, objid))
                if scope:
                    scopes.add(scope)
                elif classid not in _SCOPED_CLASSES:
                    rare = True
            live_classes.append(_regclass_oid(self.conn, classid))
            live_objects.append(objid)
        if live_objects:
            found = self.conn.execute(read_sql("internal", "verify_scopes.sql"),
                                      {"classids": live_classes, "objids": live_objects}, prepare=True).fetchall()
            for (scope,) in found:
                if scope == "r":
                    rare = True
                else:
                    scopes.add(scope)
        if rare:
            scopes.add("r")
        prior = self._forget(scopes)
        rels = [int(s[2:]) for s in scopes if s.startswith("c:")]
        procs = [int(s[2:]) for s in scopes if s.startswith("p:")]
        types = [int(s[2:]) for s in scopes if s.startswith("t:")]
        nsps = [int(s[2:]) for s in scopes if s.startswith("n:")]
        rows = self._read(rels, procs, types, nsps, rare="r" in scopes)
        self._store(rows)
        for kind, name, *_ in rows:
            prior.setdefault((kind, name), None)
        return Change(prior)

    def snapshot(self) -> dict[Key, dict]:
        return dict(self.objects)


_SCOPED_CLASSES = {"pg_class", "pg_proc", "pg_type", "pg_namespace", "pg_constraint", "pg_trigger", "pg_policy",
                   "pg_rewrite", "pg_attrdef"}
_OWN_PREFIX = {"pg_class": "c:", "pg_proc": "p:", "pg_type": "t:", "pg_namespace": "n:", "pg_constraint": "co:",
               "pg_trigger": "tg:", "pg_policy": "po:", "pg_rewrite": "ru:"}
_CLASS_OIDS: dict[str, int] = {}


def _own_key(classid: str, objid: int) -> str:
    return f"{_OWN_PREFIX.get(classid, classid + ':')}{objid}"


def _regclass_oid(conn: psycopg.Connection, name: str) -> int:
    if name not in _CLASS_OIDS:
        _CLASS_OIDS[name] = conn.execute("SELECT %s::regclass::oid", (name,)).fetchone()[0]
    return _CLASS_OIDS[name]


def full_snapshot(conn: psycopg.Connection, history: History) -> dict[Key, dict]:
    """Every object of the database, once (for tests and the final self-check)."""
    t = Tracker(conn, history, incremental=False)
    t.full()
    return t.snapshot()
