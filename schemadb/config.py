"""Settings shared by every command, and the masking of secrets in anything printed.

Precedence: a command-line option, then its environment variable, then the default. The DSN
comes from --dsn, else SCHEMADB_DSN, else DATABASE_URL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

DEFAULT_HISTORY_TABLE = "public.schema_migrations"
DEFAULT_LOCK_TIMEOUT_MS = 200  # the cap of one lock attempt (schemadb.locks)
DEFAULT_LOCK_RETRY_FOR_S = 300.0  # the total budget of the lock retries
DEFAULT_LOCK_WAIT_S = 60.0

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class Settings:
    dsn: str | None = None
    directory: Path | None = None
    history_table: str = DEFAULT_HISTORY_TABLE
    wait: float = 0.0
    quiet: bool = False
    json: bool = False
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    lock_retry_for_s: float = DEFAULT_LOCK_RETRY_FOR_S
    lock_wait: float = DEFAULT_LOCK_WAIT_S
    retries: int | None = None  # None: as many as --lock-retry-for allows
    application: str = "schemadb"
    extra: dict = field(default_factory=dict)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    def require_dsn(self) -> str:
        if not self.dsn:
            raise ConfigError("no database given: pass --dsn, or set SCHEMADB_DSN or DATABASE_URL")
        check_dsn(self.dsn)
        return self.dsn

    @property
    def history(self) -> tuple[str, str]:
        return history_table_name(self.history_table)


def split_table_name(value: str) -> tuple[str, str]:
    """'schema.table' or 'table' (in public) -> (schema, table); identifiers are checked, not quoted."""
    parts = value.split(".")
    if len(parts) == 1:
        parts = ["public", parts[0]]
    if len(parts) != 2 or not all(_IDENT.match(p) for p in parts):
        raise ConfigError(f"bad table name {value!r}: expected schema.table of plain identifiers")
    return parts[0], parts[1]


def history_table_name(value: str) -> tuple[str, str]:
    """The history table (schema, name), taken literally (case preserved, never folded), refused when its
    log table `<name>_log` would not fit PostgreSQL's 63-byte identifiers (it would collide with it)."""
    schema, table = split_table_name(value)
    if len(f"{table}_log".encode()) > 63:
        raise ConfigError(f"history table name {table!r} is {len(table.encode())} bytes: its log table {table}_log "
                          "would not fit PostgreSQL's 63-byte names; use at most 59 bytes")
    if len(schema.encode()) > 63:
        raise ConfigError(f"history table schema {schema!r} is longer than PostgreSQL's 63-byte names")
    return schema, table


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, None: 1000, "min": 60_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration_ms(value: str | int | float, option: str) -> int:
    """'5s', '500ms', '2min', or a number of seconds -> milliseconds."""
    if isinstance(value, (int, float)):
        return int(value * 1000)
    m = _DURATION.match(value)
    if not m:
        raise ConfigError(f"{option}: {value!r} is not a duration (examples: 5s, 500ms, 2min)")
    return int(float(m.group(1)) * _UNIT_MS[m.group(2)])


def format_duration_ms(ms: int | float) -> str:
    """The shortest way parse_duration_ms reads back: 700ms, 5s, 1.5s, 5min, 2h."""
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size and (ms % size == 0 or (unit == "s" and ms % 100 == 0)):
            return f"{ms / size:g}{unit}"
    return f"{ms:g}ms"


# --- secrets ---------------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"(?P<pre>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<post>@)", re.I)
_KV_PASSWORD = re.compile(r"(?P<pre>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)


def dsn_password(dsn: str | None) -> str | None:
    if not dsn:
        return None
    m = _URL_PASSWORD.search(dsn)
    if m and m.group("pw"):
        from urllib.parse import unquote

        return unquote(m.group("pw"))
    m = _KV_PASSWORD.search(dsn)
    if m:
        return m.group("pw").strip("'")
    return None


def redact(text: str, *secrets: str | None) -> str:
    """Mask passwords: in URLs and key=value DSNs, and any known secret anywhere in `text`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("pre") + "***" + m.group("post"), text)
    text = _KV_PASSWORD.sub(lambda m: m.group("pre") + "***", text)
    for secret in (*secrets, os.environ.get("PGPASSWORD")):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def check_dsn(dsn: str, what: str = "the DSN") -> None:
    """Refuse a URL whose user or password holds an unencoded '@' or '/': libpq would take part of the
    password for the host (connecting elsewhere, and printing that part in its error)."""
    if "://" not in dsn:
        return
    rest = dsn.split("://", 1)[1].split("?", 1)[0]
    authority, _, path = rest.partition("/")
    if authority.count("@") > 1 or ("@" not in authority and "@" in path and ":" in authority):
        raise ConfigError(f"{what} (not shown: it holds a password) has an unencoded '@' or '/' in its user or "
                          "password: libpq would read part of it as the host; percent-encode them "
                          "(@ as %40, / as %2F, : as %3A)")


def describe_dsn(dsn: str) -> str:
    """A short, password-free name for the target: user@host:port/dbname."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        check_dsn(dsn)
        d = conninfo_to_dict(dsn)
    except Exception:
        return "the DSN (not shown: it cannot be parsed, and may hold a password)"
    host = d.get("host") or os.environ.get("PGHOST") or "localhost"
    port = d.get("port") or os.environ.get("PGPORT") or "5432"
    user = d.get("user") or os.environ.get("PGUSER") or ""
    db = d.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def check_redis_url(url: str, what: str = "SCHEMADB_REDIS_URL") -> None:
    """Refuse (exit 2) a value redis-py cannot use, before any work is done (it would fail only after
    the migrations committed)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("redis", "rediss", "unix") and bool(parts.scheme == "unix" or parts.hostname)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"{what}={redact(url)!r} is not a Redis URL: expected redis://[:password@]host[:port][/db], "
                          "rediss://… or unix:///path/to/socket")
