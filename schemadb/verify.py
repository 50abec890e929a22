"""`schemadb verify`: prove that every rollback restores the schema exactly.

On a scratch database, for each migration in order: snapshot the schema, apply the migration,
apply its rollback, snapshot again and compare; then re-apply it and go on.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import db as dbmod
from .config import Settings, describe_dsn
from .errors import ConfigError, MigrationError, ValidationError
from .execute import Context, new_run_id, run_file
from .history import History
from .migrations import scan
from .resources import read_sql
from .runner import _noop
from .state import directory_of
from .state import display as _display


@dataclass
class VerifyResult:
    scratch: str
    migrations: list[dict] = field(default_factory=list)
    total_ms: int = 0

    def to_json(self) -> dict:
        return {"command": "verify", "scratch": self.scratch, "total_ms": self.total_ms,
                "asymmetric": [m["version"] for m in self.migrations if m["differences"]],
                "migrations": self.migrations}


Snapshot = dict[tuple[str, str], dict]


def snapshot(conn: psycopg.Connection, history: History) -> Snapshot:
    q = sql.SQL(read_sql("internal", "snapshot.sql")).format(
        history_text=sql.Literal(history.ids["history"].as_string(conn)),
        log_text=sql.Literal(history.ids["log"].as_string(conn)),
    )
    return {(kind, name): details for kind, name, details in conn.execute(q).fetchall()}


def compare(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences between two snapshots, sorted."""
    out = []
    for key in sorted(set(before) | set(after)):
        kind, name = key
        if key not in after:
            out.append(f"{kind} {name}: dropped by the rollback, but existed before the migration")
        elif key not in before:
            out.append(f"{kind} {name}: left behind by the rollback")
        elif before[key] != after[key]:
            b, a = before[key], after[key]
            for f in sorted(set(b) | set(a)):
                if b.get(f) != a.get(f):
                    out.append(f"{kind} {name}: {f} was {_short(b.get(f))}, after the rollback {_short(a.get(f))}")
    return out


def _short(v) -> str:
    s = "absent" if v is None else str(v)
    s = " ".join(s.split())
    return s if len(s) <= 120 else s[:117] + "..."


def verify(settings: Settings, scratch_dsn: str | None = None, emit=_noop) -> VerifyResult:
    root = directory_of(settings)
    sc = scan(root)
    if sc.problems:
        raise ValidationError(f"verify refused: {len(sc.problems)} problem(s); nothing was changed", sc.problems)
    created = None
    if scratch_dsn is None:
        admin = dbmod.connect(settings, "verify", writable=True)
        created = f"schemadb_verify_{secrets.token_hex(4)}"
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(created)))
        except psycopg.Error as e:
            admin.close()
            raise ConfigError(f"cannot create a scratch database ({e.diag.message_primary}); "
                              "pass --scratch-dsn with an empty database") from None
        from psycopg.conninfo import make_conninfo

        scratch_dsn = make_conninfo(settings.require_dsn(), dbname=created)
    result = VerifyResult(describe_dsn(scratch_dsn))
    started = time.monotonic()
    try:
        conn = dbmod.connect(settings, "verify", dsn=scratch_dsn)
        try:
            history = History(settings)
            history.ensure(conn)
            if history.applied(conn):
                raise ConfigError(f"scratch database {describe_dsn(scratch_dsn)} already has migrations applied; "
                                  "verify needs an empty database")
            from . import locks

            ctx = Context(conn, history, new_run_id(), locks.from_settings(settings, emit, dsn=scratch_dsn), emit,
                          settings)
            for m in sc.migrations:
                assert m.up is not None and m.down is not None
                entry = {"version": m.version, "name": m.name, "differences": [], "error": None}
                result.migrations.append(entry)
                diffs = entry["differences"]
                step = "apply"
                try:
                    before = snapshot(conn, history)
                    _apply(ctx, history, m, root)
                    applied = snapshot(conn, history)
                    step = "rollback"
                    _rollback(ctx, history, m, root)
                    diffs += compare(before, snapshot(conn, history))
                    step = "re-apply"
                    _apply(ctx, history, m, root)
                    diffs += [f"re-apply: {d}" for d in compare(applied, snapshot(conn, history))]
                except MigrationError as e:
                    # The scratch database is no longer in a known state: report and stop here.
                    entry["error"] = f"{step} failed: {e.failure.one_line()}"
                    diffs.append(entry["error"])
                    emit("verify", version=m.version, name=m.name, outcome=entry["error"])
                    break
                emit("verify", version=m.version, name=m.name,
                     outcome="ok" if not diffs else f"{len(diffs)} difference(s)")
        finally:
            conn.close()
    finally:
        if created:
            try:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(created)))
            finally:
                admin.close()
    result.total_ms = int((time.monotonic() - started) * 1000)
    return result


def _apply(ctx: Context, history: History, m, root) -> None:
    finish = history.render(ctx.conn, "history_insert", version=m.version, name=m.name, checksum=m.up.checksum,
                            rollback_checksum=m.down.checksum, transactional=m.up.transactional, duration_ms=None)
    run_file(ctx, m.up, "apply", finish, _display(m.up))


def _rollback(ctx: Context, history: History, m, root) -> None:
    finish = history.render(ctx.conn, "history_delete", version=m.version)
    run_file(ctx, m.down, "rollback", finish, _display(m.down))


__all__ = ["verify", "snapshot", "compare", "VerifyResult", "MigrationError"]
