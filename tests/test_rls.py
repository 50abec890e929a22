"""Row-level security: a user of organization A never reads or writes organization B's rows."""

import re
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
A = "de000000-0000-4000-8000-0000000000"
B = "be000000-0000-4000-8000-0000000000"
GLOBAL_TABLES = ("core.mcp_servers", "config.system_prompts", "config.system_configuration")


def load_second_tenant(conn) -> None:
    """Organization B: the demo data set with other ids, names and handles (global rows left out)."""
    text = (ROOT / "sql/seed/demo.sql").read_text()
    text = (text.replace("de000000-", "be000000-").replace("'demo'", "'other'")
            .replace("@example.com", "@other.example.com").replace("'demo-", "'other-"))
    import pglast

    for s in pglast.split(text, with_parser=True):
        if not any(re.search(rf"INSERT INTO {re.escape(t)}\b", s) for t in GLOBAL_TABLES):
            conn.execute(s)
    # identity rows the demo set has none of
    for prefix in (A, B):
        conn.execute("INSERT INTO core.user_sessions (user_id, token_hash, expires_at)"
                     " VALUES (%s, %s, now() + interval '1 day')", (prefix + "11", prefix + "token"))
        conn.execute("INSERT INTO core.api_keys (organization_id, user_id, name, key_hash) VALUES (%s, %s, 'k', %s)",
                     (prefix + "01", prefix + "11", prefix + "key"))


def rls_tables(conn) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relrowsecurity AND NOT c.relispartition ORDER BY 1, 2").fetchall()


def owned_by(prefix: str, columns: set[str]) -> sql.Composable:
    """A predicate selecting the rows of a table that belong to the organization whose ids start with `prefix`."""
    like = sql.Literal(prefix[:8] + "-%")
    parts = [sql.SQL("id::text LIKE {}").format(like)]
    if "organization_id" in columns:
        parts.append(sql.SQL("organization_id = {}").format(sql.Literal(prefix + "01")))
    for parent in ("user_id", "agent_id", "project_id", "task_id", "session_id", "repository_id", "test_suite_id"):
        if parent in columns:
            parts.append(sql.SQL("{}::text LIKE {}").format(sql.Identifier(parent), like))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))


def sample_row(conn, schema: str, table: str, columns: set[str], where: sql.Composable):
    """One row (as jsonb) matching `where`, naming its organization when the table has the column: the audit
    tables accept a row naming no organization by design (events before authentication), so a copy of such a row
    proves nothing, and which row LIMIT 1 met first changed with the plan."""
    order = sql.SQL("ORDER BY x.organization_id IS NULL, x.id::text") if "organization_id" in columns \
        else sql.SQL("ORDER BY x.id::text")
    row = conn.execute(sql.SQL("SELECT to_jsonb(x) FROM {} x WHERE {} {} LIMIT 1").format(
        sql.Identifier(schema, table), where, order)).fetchone()
    return row[0] if row else None


def owned_by_b(schema: str, table: str, columns: set[str]) -> sql.Composable:
    """A predicate selecting organization B's rows of a table."""
    return owned_by(B, columns)


def columns_of(conn, schema, table) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        (f"{schema}.{table}",))}


def act_as(conn, role: str, user: str | None, org: str | None, agent: str | None = None) -> None:
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    conn.execute("SELECT set_config('app.current_user_id', %s, false), set_config('app.current_org_id', %s, false),"
                 " set_config('app.current_agent_id', %s, false)", (user or "", org or "", agent or ""))


@pytest.fixture
def two_tenants(ref):
    load_second_tenant(ref)
    return ref


def test_rls_is_enabled_on_every_tenant_table(ref):
    tables = {f"{s}.{t}" for s, t in rls_tables(ref)}
    core = {f"core.{r[0]}" for r in ref.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'core' AND c.relkind IN ('r', 'p') AND NOT c.relispartition")}
    assert core - tables == {"core.mcp_servers"}  # global registry (map §9 Q9)
    assert {"core.users", "core.user_sessions", "core.api_keys", "config.user_configuration",
            "audit.audit_logs", "audit.security_events", "audit.task_execution_audit"} <= tables


@pytest.mark.parametrize("role", ["app_user", "app_readonly"])
def test_user_of_org_a_never_sees_or_changes_org_b(two_tenants, role):
    conn = two_tenants
    tables = rls_tables(conn)
    b_rows = {}
    for schema, table in tables:  # as the owner: B has rows in every tenant table
        cols = columns_of(conn, schema, table)
        q = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(sql.Identifier(schema, table),
                                                              owned_by_b(schema, table, cols))
        b_rows[(schema, table)] = (cols, conn.execute(q).fetchone()[0])
    missing = [f"{s}.{t}" for (s, t), (_, n) in b_rows.items() if n == 0]
    assert missing == [], "organization B needs rows in every RLS table"
    samples = {}
    for (schema, table), (cols, _) in b_rows.items():
        samples[(schema, table)] = sample_row(conn, schema, table, cols, owned_by_b(schema, table, cols))
    insertable = {(s, t): [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
        " AND attgenerated = '' AND attidentity <> 'a'", (f"{s}.{t}",))] for s, t in tables}

    act_as(conn, role, A + "11", A + "01")  # alice, owner of organization A
    visible_a = 0
    for (schema, table), (cols, _) in b_rows.items():
        ident = sql.Identifier(schema, table)
        where = owned_by_b(schema, table, cols)
        try:
            seen = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(ident, where)).fetchone()[0]
        except psycopg.errors.InsufficientPrivilege:
            seen = 0  # no grant at all: also invisible
        assert seen == 0, f"{schema}.{table}: {seen} row(s) of B visible to A as {role}"
        try:
            visible_a += conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident)).fetchone()[0]
        except psycopg.errors.InsufficientPrivilege:
            pass
        for stmt in (sql.SQL("UPDATE {} SET id = id WHERE {}"), sql.SQL("DELETE FROM {} WHERE {}")):
            try:
                with conn.transaction():
                    cur = conn.execute(stmt.format(ident, where))
                    assert cur.rowcount == 0, f"{schema}.{table}: {role} changed B's rows"
            except psycopg.errors.InsufficientPrivilege:
                pass
        # inserting a copy of B's row (with a new id) is refused; core.users is the exception by design:
        # sign-up creates a user before any tenant context, and a user row belongs to no organization
        if (schema, table) == ("core", "users"):
            continue
        names = insertable[(schema, table)]
        row = dict(samples[(schema, table)])
        row["id"] = "0b000000-0000-4000-8000-000000000001"
        q = sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM jsonb_populate_record(NULL::{t}, %s::jsonb)").format(
            t=ident, cols=sql.SQL(", ").join(map(sql.Identifier, names)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(q, (psycopg.types.json.Jsonb(row),))
    assert visible_a > 50  # A's own rows are visible: the policies do not simply hide everything
    conn.execute("RESET ROLE")


def test_unset_context_sees_nothing(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", None, None)
    for schema, table in rls_tables(conn):
        if schema == "audit":
            continue
        n = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()[0]
        assert n == 0, f"{schema}.{table}"
    conn.execute("RESET ROLE")


def test_agent_context_sees_its_organization(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", None, A + "01", agent=A + "34")
    assert conn.execute("SELECT count(*) FROM core.tasks").fetchone()[0] == 8
    assert conn.execute("SELECT count(*) FROM core.tasks WHERE id::text LIKE 'be%'").fetchone()[0] == 0
    conn.execute("RESET ROLE")


def test_credentials_are_not_readable_and_authentication_functions_work(two_tenants):
    conn = two_tenants
    conn.execute("UPDATE core.users SET password_hash = 'bcrypt$demo' WHERE id = %s", (A + "11",))
    act_as(conn, "app_user", None, None)  # before authentication: no context at all
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("SELECT password_hash FROM core.users")
    assert conn.execute("SELECT user_id::text, password_hash FROM core.login_lookup('ALICE@example.com')"
                        ).fetchone() == (A + "11", "bcrypt$demo")
    assert conn.execute("SELECT user_id::text FROM core.session_lookup(%s)", (A + "token",)).fetchone() == (A + "11",)
    assert conn.execute("SELECT organization_id::text FROM core.api_key_lookup(%s)", (A + "key",)).fetchone() == (A + "01",)
    assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (A + "11",)).fetchall() == []  # not signed in
    act_as(conn, "app_user", A + "11", None)  # signed in, choosing an organization
    assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (A + "11",)).fetchall() == [("demo",)]
    act_as(conn, "app_user", A + "11", A + "01")
    users = {r[0] for r in conn.execute("SELECT email FROM core.users")}
    assert users == {"alice@example.com", "bob@example.com", "carol@example.com"}
    assert conn.execute("SELECT count(*) FROM core.user_sessions").fetchone()[0] == 1
    conn.execute("RESET ROLE")
    act_as(conn, "app_readonly", A + "11", A + "01")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("SELECT count(*) FROM core.user_sessions")
    conn.execute("RESET ROLE")


def test_project_visibility_follows_membership(two_tenants):
    conn = two_tenants
    conn.execute("INSERT INTO core.projects (id, organization_id, slug, name, created_by)"
                 " VALUES (%s, %s, 'private-one', 'Private', %s)", (A + "9a", A + "01", A + "11"))
    act_as(conn, "app_user", A + "12", A + "01")  # bob: member of demo-app only
    assert {r[0] for r in conn.execute("SELECT slug FROM core.projects")} == {"demo-app"}
    conn.execute("RESET ROLE")
    act_as(conn, "app_user", A + "11", A + "01")  # alice: owner sees both
    assert {r[0] for r in conn.execute("SELECT slug FROM core.projects")} == {"demo-app", "private-one"}
    conn.execute("RESET ROLE")
