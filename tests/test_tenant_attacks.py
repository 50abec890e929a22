"""Tenant isolation tried as an attacker: a member of organization B who names A's id, a viewer who edits her own
role, sign-up as a platform admin, SECURITY DEFINER functions asked about someone else. Real PostgreSQL, as the
application roles (SET ROLE on an owner connection, as the policies see it; the pool's own login is tested in
test_library)."""

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb
from test_rls import A, B, act_as, columns_of, load_second_tenant, owned_by, rls_tables, sample_row

ALICE, BOB, CAROL = A + "11", A + "12", A + "13"  # demo: owner, member, viewer
DAVE = B + "11"  # owner of the other organization, member of no other
NEW_ID = "0b000000-0000-4000-8000-000000000001"


@pytest.fixture
def two_tenants(ref):
    load_second_tenant(ref)
    return ref


def _count(conn, query, *args) -> int:
    return conn.execute(query, args or None).fetchone()[0]


def _refused(conn, query, *args) -> bool:
    """True when the statement is refused (no privilege, or a row-level security check)."""
    try:
        with conn.transaction():
            conn.execute(query, args or None)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def _changed(conn, query, *args) -> int:
    """Rows the statement changed (rolled back), 0 when refused outright."""
    try:
        with conn.transaction():
            n = conn.execute(query, args or None).rowcount
            raise _Undo(n)
    except _Undo as u:
        return u.rows
    except psycopg.errors.InsufficientPrivilege:
        return 0


class _Undo(Exception):
    def __init__(self, rows):
        self.rows = rows


def _a_rows(conn):
    """As the owner: for every RLS table, its columns, how many rows organization A has, and one of them."""
    out = {}
    for schema, table in rls_tables(conn):
        cols = columns_of(conn, schema, table)
        ident = sql.Identifier(schema, table)
        where = owned_by(A, cols)
        n = _count(conn, sql.SQL("SELECT count(*) FROM {} WHERE {}").format(ident, where))
        sample = sample_row(conn, schema, table, cols, where)
        names = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " AND attgenerated = '' AND attidentity <> 'a'", (f"{schema}.{table}",))]
        out[(schema, table)] = (cols, n, sample, names)
    return out


@pytest.mark.parametrize("role", ["app_user", "app_readonly"])
@pytest.mark.parametrize("who", ["user", "agent"])
def test_member_of_b_naming_a_reads_writes_and_inserts_nothing_of_a(two_tenants, role, who):
    conn = two_tenants
    tables = _a_rows(conn)
    assert [t for t, (_, n, _, _) in tables.items() if n == 0] == [], "organization A needs rows in every RLS table"
    if who == "user":
        act_as(conn, role, DAVE, A + "01")  # dave names demo's organization, under his own user id
    else:
        act_as(conn, role, None, A + "01", agent=B + "34")  # other's agent runtime names demo's organization
    for (schema, table), (cols, _, sample, names) in tables.items():
        ident = sql.Identifier(schema, table)
        where = owned_by(A, cols)
        try:
            seen = _count(conn, sql.SQL("SELECT count(*) FROM {} WHERE {}").format(ident, where))
        except psycopg.errors.InsufficientPrivilege:
            seen = 0
        assert seen == 0, f"{schema}.{table}: {seen} row(s) of A visible to a member of B as {role}"
        for stmt in (sql.SQL("UPDATE {} SET id = id WHERE {}"), sql.SQL("DELETE FROM {} WHERE {}")):
            assert _changed(conn, stmt.format(ident, where)) == 0, f"{schema}.{table}: {role} changed A's rows"
        if (schema, table) == ("core", "users"):
            continue  # sign-up: a user row belongs to no organization (tested below)
        row = dict(sample, id=NEW_ID)
        q = sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM jsonb_populate_record(NULL::{t}, %s::jsonb)").format(
            t=ident, cols=sql.SQL(", ").join(map(sql.Identifier, names)))
        assert _refused(conn, q, Jsonb(row)), f"{schema}.{table}: {role} inserted a row into A"
    # the views and SECURITY DEFINER functions answer nothing about A either
    for view in ("agent_status_summary", "task_performance_summary", "project_task_stats_scoped",
                 "agent_performance_daily_scoped"):
        assert _count(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("core", view))) == 0, view
    assert conn.execute("SELECT core.tenant_org_id(), core.current_org_role(), core.project_role(%s),"
                        " core.org_owner_count(%s), cardinality(core.accessible_project_ids())",
                        (A + "21", A + "01")).fetchone() == (None, None, None, 0, 0)
    if role == "app_user":
        assert conn.execute("SELECT * FROM core.user_organizations(%s)", (ALICE,)).fetchall() == []
    visible = {r[0][:8] for r in conn.execute("SELECT unnest(core.visible_user_ids())::text")}
    assert visible <= {"be000000"}
    conn.execute("RESET ROLE")


def test_user_organizations_answers_only_for_the_current_user(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", DAVE, None)
    assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (DAVE,)).fetchall() == [("other",)]
    assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (ALICE,)).fetchall() == []
    conn.execute("RESET ROLE")


@pytest.mark.parametrize("who", [CAROL, BOB], ids=["viewer", "member"])
def test_a_viewer_or_member_cannot_grant_herself_or_anyone_power(two_tenants, who):
    conn = two_tenants
    act_as(conn, "app_user", who, A + "01")
    members = "UPDATE core.organization_members SET role = %s WHERE user_id = %s"
    assert _changed(conn, members, "owner", who) == 0  # her own role
    assert _changed(conn, members, "admin", who) == 0
    other = BOB if who == CAROL else CAROL
    assert _changed(conn, members, "admin", other) == 0  # anyone's
    assert _changed(conn, members, "viewer", ALICE) == 0  # demote the owner
    assert _changed(conn, "DELETE FROM core.organization_members WHERE user_id = %s", ALICE) == 0
    for role in ("owner", "viewer"):  # add a member (an outsider, or herself again)
        assert _refused(conn, "INSERT INTO core.organization_members (organization_id, user_id, role)"
                              " VALUES (%s, %s, %s)", A + "01", DAVE, role)
    assert _refused(conn, "UPDATE core.users SET role = 'admin' WHERE id = %s", who)  # platform admin
    assert _refused(conn, "UPDATE core.organizations SET subscription_tier = 'enterprise'")
    assert _changed(conn, "UPDATE core.organizations SET name = 'mine now'") == 0
    assert _changed(conn, "DELETE FROM core.organizations") == 0
    assert _changed(conn, "UPDATE core.users SET name = 'Me' WHERE id = %s", who) == 1  # her own profile: yes
    assert _changed(conn, "DELETE FROM core.organization_members WHERE user_id = %s", who) == 1  # she may leave
    project = "INSERT INTO core.project_members (project_id, user_id, role) VALUES (%s, %s, 'admin')"
    assert _refused(conn, project, A + "21", who)
    conn.execute("RESET ROLE")
    assert conn.execute("SELECT role FROM core.organization_members WHERE user_id = %s", (who,)).fetchone()[0] in (
        "viewer", "member")


def test_owner_changes_roles_and_every_change_is_audited(two_tenants):
    conn = two_tenants
    before = _count(conn, "SELECT count(*) FROM audit.audit_logs WHERE resource_type = 'core.organization_members'")
    act_as(conn, "app_user", ALICE, A + "01")
    assert conn.execute("UPDATE core.organization_members SET role = 'admin' WHERE user_id = %s",
                        (BOB,)).rowcount == 1
    assert conn.execute("INSERT INTO core.organization_members (organization_id, user_id, role)"
                        " VALUES (%s, %s, 'viewer')", (A + "01", DAVE)).rowcount == 1
    assert _changed(conn, "UPDATE core.organization_members SET role = 'viewer' WHERE user_id = %s", ALICE) == 0
    assert _changed(conn, "DELETE FROM core.organization_members WHERE user_id = %s", ALICE) == 0  # the last owner
    conn.execute("RESET ROLE")
    act_as(conn, "app_user", BOB, A + "01")  # bob is an admin now: he manages members, but not owners
    assert _changed(conn, "UPDATE core.organization_members SET role = 'member' WHERE user_id = %s", CAROL) == 1
    assert _changed(conn, "UPDATE core.organization_members SET role = 'owner' WHERE user_id = %s", CAROL) == 0
    assert _changed(conn, "UPDATE core.organization_members SET role = 'member' WHERE user_id = %s", ALICE) == 0
    assert _changed(conn, "UPDATE core.organization_members SET role = 'owner' WHERE user_id = %s", BOB) == 0
    assert _refused(conn, "INSERT INTO core.organization_members (organization_id, user_id, role)"
                          " VALUES (%s, %s, 'owner')", A + "01", B + "12")
    conn.execute("RESET ROLE")
    rows = conn.execute(
        "SELECT action, user_id::text, old_values ->> 'role', new_values ->> 'role' FROM audit.audit_logs"
        " WHERE resource_type = 'core.organization_members' ORDER BY created_at, action").fetchall()[before:]
    assert sorted(rows) == sorted([("update", ALICE, "member", "admin"), ("insert", ALICE, None, "viewer")])


def test_sign_up_creates_a_user_never_an_admin(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", None, None)
    insert = "INSERT INTO core.users (id, email, name, auth_provider{}) VALUES (%s, %s, 'Mallory', 'local'{})"
    assert _refused(conn, insert.format(", role", ", 'admin'"), NEW_ID, "mallory@example.com")
    assert _refused(conn, insert.format(", role", ", 'user'"), NEW_ID, "mallory@example.com")  # role: not hers to set
    assert _changed(conn, insert.format("", ""), NEW_ID, "mallory@example.com") == 1
    conn.execute("RESET ROLE")
    conn.execute(insert.format("", ""), (NEW_ID, "mallory@example.com"))
    assert conn.execute("SELECT role FROM core.users WHERE id = %s", (NEW_ID,)).fetchone()[0] == "user"


def test_a_global_registry_is_not_a_tenants_to_rewrite(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", ALICE, A + "01")
    assert _refused(conn, "UPDATE core.mcp_servers SET health_check_url = 'http://attacker.example'")
    assert _refused(conn, "DELETE FROM core.mcp_servers")
    assert _changed(conn, "UPDATE core.mcp_servers SET status = 'degraded', last_health_check_at = now()") > 0
    conn.execute("RESET ROLE")


def test_a_project_cannot_be_planted_in_another_organization(two_tenants):
    conn = two_tenants
    act_as(conn, "app_user", DAVE, A + "01")
    assert _refused(conn, "INSERT INTO core.projects (organization_id, slug, name, created_by) VALUES (%s, 'x', 'x', %s)",
                    A + "01", DAVE)
    conn.execute("RESET ROLE")


def test_a_task_carries_its_projects_organization_whatever_the_caller_says(two_tenants):
    conn = two_tenants
    mine = B + "21"  # dave's project
    act_as(conn, "app_user", DAVE, B + "01")
    # naming A's organization on his own task: the row gets its project's organization
    row = conn.execute("INSERT INTO core.tasks (project_id, organization_id, title, task_type, agent_type)"
                       " VALUES (%s, %s, 'x', 'general', 'backend') RETURNING id, organization_id::text",
                       (mine, A + "01")).fetchone()
    assert row[1] == B + "01"
    assert _changed(conn, "UPDATE core.tasks SET organization_id = %s WHERE id = %s", A + "01", row[0]) == 1
    assert _count(conn, "SELECT count(*) FROM core.tasks WHERE id = %s AND organization_id = %s", row[0], B + "01") == 1
    # moving it into A's project, or planting one there, is refused
    assert _refused(conn, "UPDATE core.tasks SET project_id = %s WHERE id = %s", A + "21", row[0])
    assert _refused(conn, "INSERT INTO core.tasks (project_id, organization_id, title, task_type, agent_type)"
                          " VALUES (%s, %s, 'x', 'general', 'backend')", A + "21", B + "01")
    conn.execute("RESET ROLE")
    # the owner cannot put a task out of step with its project either
    conn.execute("UPDATE core.tasks SET organization_id = %s WHERE id = %s", (A + "01", row[0]))
    assert _count(conn, "SELECT count(*) FROM core.tasks WHERE id = %s AND organization_id = %s", row[0], B + "01") == 1
    assert _count(conn, "SELECT count(*) FROM core.tasks t JOIN core.projects p ON p.id = t.project_id"
                        " WHERE t.organization_id IS DISTINCT FROM p.organization_id") == 0


def test_who_sees_which_task_follows_project_access(two_tenants):
    """The tasks policy skips the project check for whoever sees every project of the organization (owner, admin,
    an agent bound to no project); everyone else still sees only their projects' tasks."""
    conn = two_tenants
    other = "de000000-0000-4000-8000-0000000000f1"  # a second project of A that bob and carol are not members of
    conn.execute("INSERT INTO core.projects (id, organization_id, slug, name, created_by) VALUES (%s, %s, 'second',"
                 " 'Second', %s)", (other, A + "01", ALICE))
    conn.execute("INSERT INTO core.tasks (project_id, title, task_type, agent_type) VALUES (%s, 'y', 'general',"
                 " 'backend')", (other,))
    conn.execute("UPDATE core.agents SET project_id = %s WHERE id = %s", (A + "21", A + "35"))  # bound to the first
    per_project = "SELECT project_id::text, count(*) FROM core.tasks GROUP BY 1 ORDER BY 1"
    everything = dict(conn.execute(per_project).fetchall())
    everything = {k: v for k, v in everything.items() if k.startswith("de")}
    first_only = {A + "21": everything[A + "21"]}
    for user, agent, seen in ((ALICE, None, everything), (BOB, None, first_only), (CAROL, None, first_only),
                              (None, A + "31", everything), (None, A + "35", first_only)):
        act_as(conn, "app_user", user, A + "01", agent=agent)
        assert dict(conn.execute(per_project).fetchall()) == seen, (user, agent)
        conn.execute("RESET ROLE")
    # the agent bound to the first project cannot write into the second
    act_as(conn, "app_user", None, A + "01", agent=A + "35")
    assert _refused(conn, "INSERT INTO core.tasks (project_id, title, task_type, agent_type) VALUES (%s, 'z',"
                          " 'general', 'backend')", other)
    conn.execute("RESET ROLE")


def test_a_deleted_user_or_organization_sees_no_project_rows(two_tenants):
    conn = two_tenants
    project_tables = ("plans", "workflows", "tasks", "project_members", "projects")

    def seen(user):
        act_as(conn, "app_user", user, A + "01")
        n = {t: _count(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("core", t)))
             for t in project_tables}
        conn.execute("RESET ROLE")
        return n

    assert all(seen(BOB).values())  # bob, a member, sees his project's rows
    conn.execute("UPDATE core.users SET deleted_at = now() WHERE id = %s", (BOB,))
    assert seen(BOB) == dict.fromkeys(project_tables, 0)
    assert all(seen(ALICE).values())
    conn.execute("UPDATE core.organizations SET deleted_at = now() WHERE id = %s", (A + "01",))
    assert seen(ALICE) == dict.fromkeys(project_tables, 0)
