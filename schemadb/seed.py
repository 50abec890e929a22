"""`schemadb seed [--demo] [--reset]`: reference rows (idempotent) and the demo data set.

The SQL lives in <dir>/sql/seed/ (reference.sql, demo.sql, demo_reset.sql). Everything runs in one
transaction; each statement is run on its own so that its row count is attributed to its table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .config import Settings
from .db import AdvisoryLock, connect, failure_from_error
from .errors import ConfigError, MigrationError, ValidationError
from .runner import directory_of

DEMO_ORG = "de000000-0000-4000-8000-000000000001"


@dataclass
class SeedResult:
    demo: bool
    inserted: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"command": "seed", "demo": self.demo, "inserted": self.inserted, "deleted": self.deleted,
                "notes": self.notes}


def _statements(path: Path) -> list[tuple[int, str, str | None, str | None]]:
    """(offset, text, verb, target table) of each statement of a seed file."""
    import pglast
    from pglast.ast import DeleteStmt, InsertStmt

    text = path.read_text(encoding="utf-8")
    out = []
    for raw in pglast.parse_sql(text):
        start = raw.stmt_location or 0
        stmt_text = text[start:start + raw.stmt_len] if raw.stmt_len else text[start:]
        node, verb, table = raw.stmt, None, None
        if isinstance(node, (InsertStmt, DeleteStmt)):
            verb = "insert" if isinstance(node, InsertStmt) else "delete"
            rel = node.relation
            table = f"{rel.schemaname}.{rel.relname}" if rel.schemaname else rel.relname
        out.append((start, stmt_text, verb, table))
    return out


def _run(conn: psycopg.Connection, path: Path, result: SeedResult, display: str) -> None:
    text = path.read_text(encoding="utf-8")
    for i, (start, stmt, verb, table) in enumerate(_statements(path)):
        try:
            cur = conn.execute(stmt)
        except psycopg.Error as e:
            failure = failure_from_error(display, text, e, -start, start, i)
            raise MigrationError("seed", "-", path.stem, failure) from None
        if verb and cur.rowcount > 0:
            bucket = result.inserted if verb == "insert" else result.deleted
            bucket[table] = bucket.get(table, 0) + cur.rowcount


def seed(settings: Settings, demo: bool = False, reset: bool = False) -> SeedResult:
    if reset and not demo:
        raise ConfigError("--reset goes with --demo")
    folder = directory_of(settings) / "sql" / "seed"
    if not (folder / "reference.sql").is_file():
        raise ConfigError(f"{folder}/reference.sql: no seed data in this folder (--dir)")
    result = SeedResult(demo)
    conn = connect(settings, "seed", writable=True)
    lock = AdvisoryLock(conn, "seed")
    try:
        lock.acquire(settings.lock_wait)
        if conn.execute("SELECT to_regclass('config.task_types') IS NULL").fetchone()[0]:
            raise ValidationError("seed refused: the reference schema is not migrated here (run schemadb migrate)")
        with conn.transaction():
            _run(conn, folder / "reference.sql", result, "sql/seed/reference.sql")
            if demo:
                if reset:
                    _run(conn, folder / "demo_reset.sql", result, "sql/seed/demo_reset.sql")
                present = conn.execute("SELECT EXISTS (SELECT 1 FROM core.organizations WHERE id = %s)",
                                       (DEMO_ORG,)).fetchone()[0]
                if present:
                    result.notes.append("demo data already present (use --reset to recreate it)")
                else:
                    _run(conn, folder / "demo.sql", result, "sql/seed/demo.sql")
    finally:
        lock.release()
        conn.close()
    if not result.inserted and not result.deleted and not result.notes:
        result.notes.append("reference data already present; nothing inserted")
    return result
