"""The history table (default public.schema_migrations) and its log table (<history>_log).

All statements come from sql/internal/*.sql, composed with psycopg.sql: identifiers through
Identifier, values through Literal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .config import Settings
from .resources import read_sql


@cache
def _template(name: str) -> sql.SQL:
    return sql.SQL(read_sql("internal", f"{name}.sql"))


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    checksum: str
    rollback_checksum: str | None
    applied_at: datetime
    applied_by: str
    duration_ms: int | None
    transactional: bool

    @property
    def key(self) -> int:
        return int(self.version)


@dataclass(frozen=True)
class Progress:
    """An unfinished no-transaction run: statements_done statements already committed."""

    log_id: int
    version: str
    name: str
    action: str
    checksum: str | None
    statements_done: int
    done_checksum: str | None
    error: str | None
    logged_at: datetime | None = None

    @property
    def key(self) -> int:
        return int(self.version)


def fit_name(name: str) -> str:
    """An identifier of at most 63 bytes: a long one is cut and given a short hash, so that two long
    names never become the same name (PostgreSQL would truncate them silently)."""
    if len(name.encode()) <= 63:
        return name
    import hashlib

    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    cut = name.encode()[:54].decode("utf-8", errors="ignore")
    return f"{cut}_{digest}"


class History:
    def __init__(self, settings: Settings):
        schema, table = settings.history
        self.schema = schema
        self.table = table
        self.outcome_check = fit_name(f"{table}_log_outcome_check")
        self.ids = {
            "history": sql.Identifier(schema, table),
            "log": sql.Identifier(schema, f"{table}_log"),
            "log_version_idx": sql.Identifier(fit_name(f"{table}_log_version_idx")),
            "log_outcome_check": sql.Identifier(self.outcome_check),
            "refreshes": sql.Identifier(schema, "schemadb_view_refreshes"),
        }
        self.qualified = f"{schema}.{table}"
        self.log_table = f"{table}_log"
        self._rendered: dict = {}
        self._keep: list = []
        self._client: psycopg.ClientCursor | None = None

    def q(self, statement: str, /, **values) -> sql.Composed:
        """Statement `name` from sql/internal with the history identifiers and literal values."""
        args = {k: v if isinstance(v, sql.Composable) else sql.Literal(v) for k, v in values.items()}
        return _template(statement).format(**self.ids, **args)

    def render(self, conn: psycopg.Connection, statement: str, /, **values) -> str:
        """The same statement as SQL text, for the messages that carry a file and its bookkeeping together:
        the template is composed once (identifiers, and the server-side expressions passed as sql objects),
        then each call only quotes its values (psycopg's client-side binding, ClientCursor.mogrify)."""
        composables = {k: v for k, v in values.items() if isinstance(v, sql.Composable)}
        literals = {k: v for k, v in values.items() if not isinstance(v, sql.Composable)}
        key = (statement, tuple(sorted((k, id(v)) for k, v in composables.items())), tuple(sorted(literals)))
        pre = self._rendered.get(key)
        if pre is None:
            pre = _template(statement).format(**self.ids, **composables,
                                              **{k: sql.Placeholder(k) for k in literals}).as_string(conn)
            self._rendered[key] = pre
            self._keep.extend(composables.values())  # their ids stay theirs while cached
        if self._client is None or self._client.connection is not conn:
            self._client = psycopg.ClientCursor(conn)
        return self._client.mogrify(pre, literals) if literals else pre

    def state(self, conn: psycopg.Connection) -> tuple[bool, bool, bool]:
        """(history table exists, log table exists, log table is of this version)."""
        q = self.q("history_state", history_text=self.ids["history"].as_string(None),
                   log_text=self.ids["log"].as_string(None))
        return tuple(bool(x) for x in conn.execute(q).fetchone())

    def exists(self, conn: psycopg.Connection) -> bool:
        h, log, _current = self.state(conn)
        return h and log

    def ensure(self, conn: psycopg.Connection) -> None:
        """Create the tables when missing, and bring a log table of an older schemadb up to this version
        (call under the runner's advisory lock)."""
        h, log, current = self.state(conn)
        if h and log and current:
            return
        with conn.transaction():
            if not (h and log):
                exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
                conn.execute(self.q("history_create"))
            if log and not current:
                old = conn.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'"
                    " AND pg_get_constraintdef(oid) LIKE '%%outcome%%'", (self.ids["log"].as_string(None),)
                ).fetchone()
                conn.execute(self.q("log_upgrade",
                                    old_outcome_check=sql.Identifier(old[0] if old else self.outcome_check)))

    def digest(self, conn: psycopg.Connection) -> tuple[int, str] | None:
        """(versions recorded, digest of version:checksum in version order), or None without a history."""
        if not self.exists(conn):
            return None
        count, digest = conn.execute(self.q("history_digest")).fetchone()
        return int(count), digest

    def applied(self, conn: psycopg.Connection) -> dict[int, Applied]:
        if not self.exists(conn):
            return {}
        rows = conn.execute(self.q("history_select")).fetchall()
        return {int(r[0]): Applied(*r) for r in rows}

    def progress(self, conn: psycopg.Connection) -> dict[tuple[int, str, str], Progress]:
        """Unfinished no-transaction runs, keyed by (version, name, action)."""
        if not self.exists(conn):
            return {}
        out = {}
        with conn.cursor(row_factory=dict_row) as cur:
            for r in cur.execute(self.q("progress_select")).fetchall():
                if r["outcome"] in ("ok", "closed") or not r["statements_done"]:
                    continue
                out[(int(r["version"]), r["name"] or "", r["action"])] = Progress(
                    log_id=r["id"], version=r["version"], name=r["name"] or "", action=r["action"],
                    checksum=r["checksum"], statements_done=r["statements_done"], done_checksum=r["done_checksum"],
                    error=r["error"], logged_at=r["logged_at"],
                )
        return out

    def recent_log(self, conn: psycopg.Connection, limit: int = 20) -> list[dict]:
        if not self.exists(conn):
            return []
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(self.q("log_recent", limit=limit)).fetchall()

    def log(self, conn: psycopg.Connection, **values) -> int:
        row = conn.execute(self.q("log_insert", **log_values(values))).fetchone()
        return int(row[0])


LOG_FIELDS = (
    "run_id", "action", "version", "name", "checksum", "outcome", "duration_ms", "transactional",
    "statements_done", "statements_total", "done_checksum", "error", "backup_file",
    "lock_attempts", "lock_wait_ms", "notes",
)


def log_values(values: dict) -> dict:
    unknown = set(values) - set(LOG_FIELDS)
    if unknown:
        raise TypeError(f"unknown log fields {unknown}")
    out = {k: values.get(k) for k in LOG_FIELDS}
    if out["notes"] is not None and not isinstance(out["notes"], sql.Composable):
        from psycopg.types.json import Jsonb

        out["notes"] = Jsonb(out["notes"])
    return out
