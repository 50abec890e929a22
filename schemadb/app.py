"""The application's side: a pooled login that row-level security applies to, and tenant-scoped transactions.

The application never connects as the schema's owner (cron and `migrate` do: the owner bypasses RLS). It logs in
with its own role from SCHEMADB_APP_DSN, a member of `app_user`:

    CREATE ROLE svc_api LOGIN PASSWORD '…' IN ROLE app_user;

`create_pool()` refuses a login that can act as a superuser, a BYPASSRLS role or an owner of schema objects
(itself or through a role it is a member of, which an injected SET ROLE would reach). Every connection is reset
when it goes back to the pool (sql/queries/pool_reset.sql: DISCARD ALL but the cached plans), so no borrower sees
the session state of the one before.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import psycopg
from psycopg import sql

from .errors import ConfigError, ConnectError
from .resources import read_sql

APP_DSN_VAR = "SCHEMADB_APP_DSN"
DEFAULT_ROLE = "app_user"
POOL_DEFAULTS = {"min_size": 10, "max_size": 100, "timeout": 30.0, "max_idle": 300.0}  # the seed's numbers
CREATE_LOGIN_HINT = "CREATE ROLE svc_api LOGIN PASSWORD '…' IN ROLE app_user"


def pool_settings_from_env() -> dict:
    """Pool sizes and timeouts: SCHEMADB_POOL_MIN, _MAX, _TIMEOUT (s), _MAX_IDLE (s); the seed's defaults."""
    env = os.environ
    return {
        "min_size": int(env.get("SCHEMADB_POOL_MIN", POOL_DEFAULTS["min_size"])),
        "max_size": int(env.get("SCHEMADB_POOL_MAX", POOL_DEFAULTS["max_size"])),
        "timeout": float(env.get("SCHEMADB_POOL_TIMEOUT", POOL_DEFAULTS["timeout"])),
        "max_idle": float(env.get("SCHEMADB_POOL_MAX_IDLE", POOL_DEFAULTS["max_idle"])),
    }


def login_problem(conn: psycopg.Connection) -> str | None:
    """Why this connection's login must not serve the application (it escapes row-level security), or None."""
    row = conn.execute(read_sql("queries", "app_login_check.sql")).fetchone()
    conn.rollback()
    if row is None:
        return None
    role, is_login, why = row
    who = f"logs in as {role}, which" if is_login else f"is a member of {role} (SET ROLE reaches it), which"
    return f"{who} {why}: row-level security does not apply to it"


def check_login(dsn: str, what: str = APP_DSN_VAR) -> None:
    """Connect once and refuse (ConfigError) a login that escapes row-level security; ConnectError when the
    server cannot be reached or refuses the login (password masked)."""
    from .config import check_dsn
    from .db import connect_message

    check_dsn(dsn, what)
    try:
        with psycopg.connect(dsn, connect_timeout=10, application_name="schemadb-app-check") as conn:
            problem = login_problem(conn)
    except psycopg.Error as e:
        raise ConnectError(connect_message(dsn, e)) from None
    if problem:
        raise ConfigError(f"{what} {problem}; give the application its own login: {CREATE_LOGIN_HINT}")


def _reset(conn: psycopg.Connection) -> None:
    """On return to the pool: back to the login's own session (identity, settings, prepared statements, temporary
    tables, advisory locks, LISTEN), keeping the plans the policy functions cached (sql/queries/pool_reset.sql).
    The pool's connections prepare nothing automatically (prepare_threshold None): psycopg would not notice the
    server forgetting its prepared statements, and would reuse their names."""
    conn.autocommit = True
    try:
        conn.execute(read_sql("queries", "pool_reset.sql"))
    finally:
        conn.autocommit = False


def create_pool(dsn: str | None = None, **overrides):
    """A psycopg_pool.ConnectionPool for the application, logged in from SCHEMADB_APP_DSN (never SCHEMADB_DSN or
    DATABASE_URL: those name the owner, whom RLS does not restrict). The login is checked first (check_login).
    Sizes from SCHEMADB_POOL_*; keyword overrides win. The caller closes it (or uses it as a context manager)."""
    from psycopg_pool import ConnectionPool

    what = "dsn" if dsn else APP_DSN_VAR
    dsn = dsn or os.environ.get(APP_DSN_VAR)
    if not dsn:
        raise ConfigError(f"no application login given: set {APP_DSN_VAR} (a login in role app_user, not the "
                          f"schema owner: {CREATE_LOGIN_HINT}) or pass dsn")
    check_login(dsn, what)
    opts = {**pool_settings_from_env(), **overrides}
    return ConnectionPool(dsn, min_size=opts["min_size"], max_size=opts["max_size"], timeout=opts["timeout"],
                          max_idle=opts["max_idle"],
                          kwargs={"application_name": "schemadb-app", "prepare_threshold": None},
                          reset=_reset, open=True, name="schemadb")


_TENANT_SETTINGS = sql.SQL(
    "SELECT set_config('app.current_org_id', %s, true), set_config('app.current_user_id', %s, true),"
    " set_config('app.current_agent_id', %s, true), set_config('app.session_id', %s, true),"
    " set_config('app.request_id', %s, true)")


def _as_role(conn: psycopg.Connection, role: str) -> None:
    if not role:
        raise ValueError("tenant(): role is required (the default is app_user)")
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))


@contextmanager
def tenant(pool, *, org_id, user_id=None, agent_id=None, session_id=None, request_id=None,
           role: str = DEFAULT_ROLE):
    """A transaction acting as a user (or agent) of an organization, as `role` (SET LOCAL ROLE; app_user unless
    told). The settings the policies read are transaction-local (set_config(…, true)). The policies check them:
    an organization the user is not a member of (or the agent is not an agent of) shows nothing."""
    if not org_id:
        raise ValueError("tenant(): org_id is required")
    with pool.connection() as conn, conn.transaction():
        _as_role(conn, role)
        conn.execute(_TENANT_SETTINGS, [str(org_id), str(user_id or ""), str(agent_id or ""), str(session_id or ""),
                                        str(request_id or "")])
        yield conn


@contextmanager
def unauthenticated(pool, *, user_id=None, role: str = DEFAULT_ROLE):
    """A transaction before any tenant exists: for the SECURITY DEFINER authentication lookups
    (core.login_lookup, core.session_lookup, core.api_key_lookup) and, with user_id, the user's own rows
    (their sessions, their organizations)."""
    with pool.connection() as conn, conn.transaction():
        _as_role(conn, role)
        conn.execute(_TENANT_SETTINGS, ["", str(user_id or ""), "", "", ""])
        yield conn
