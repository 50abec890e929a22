"""schemadb.app (pool, tenant context), schemadb.cache and schemadb.sessions: real PostgreSQL, real Redis, the
application's own login (a member of app_user owning nothing), as a hostile tenant would use it."""

import datetime as dt
import shutil
import time

import psycopg
import pytest
import redis
from test_rls import load_second_tenant

from schemadb.app import create_pool, tenant, unauthenticated
from schemadb.cache import Cache
from schemadb.errors import ConfigError, ConnectError
from schemadb.sessions import SessionStore

from conftest import APP_LOGIN, REFERENCE_VERSION, ROOT, Cli, app_login_dsn, ensure_login

A = "de000000-0000-4000-8000-0000000000"
B = "be000000-0000-4000-8000-0000000000"


@pytest.fixture
def pool(app_dsn):
    p = create_pool(app_dsn, min_size=1, max_size=4)
    yield p
    p.close()


@pytest.fixture
def one_connection(app_dsn):
    """A pool of exactly one connection: the next borrower gets the same session."""
    p = create_pool(app_dsn, min_size=1, max_size=1)
    yield p
    p.close()


def test_tenant_context_isolates_organizations_and_does_not_leak(pool, ref):
    load_second_tenant(ref)
    with tenant(pool, org_id=A + "01", user_id=A + "11") as conn:  # app_user unless told
        ids = {r[0] for r in conn.execute("SELECT id::text FROM core.tasks")}
        assert len(ids) == 8 and all(i.startswith("de000000") for i in ids)
        assert conn.execute("SELECT count(*) FROM core.organizations").fetchone()[0] == 1
    with tenant(pool, org_id=B + "01", user_id=B + "11") as conn:
        assert {r[0][:8] for r in conn.execute("SELECT id::text FROM core.tasks")} == {"be000000"}
    with tenant(pool, org_id=A + "01", user_id=B + "11") as conn:  # a member of B naming A
        assert conn.execute("SELECT (SELECT count(*) FROM core.tasks), (SELECT count(*) FROM core.organizations),"
                            " (SELECT count(*) FROM core.agents), (SELECT count(*) FROM core.organization_members),"
                            " (SELECT count(*) FROM core.agent_messages)").fetchone() == (0, 0, 0, 0, 0)
    with pool.connection() as conn:  # the pooled connection kept nothing of the last tenant
        assert conn.execute("SELECT coalesce(current_setting('app.current_org_id', true), ''),"
                            " current_user").fetchone() == ("", APP_LOGIN)
    for bad in ({"org_id": None}, {"org_id": A + "01", "role": None}, {"org_id": A + "01", "role": ""}):
        with pytest.raises(ValueError), tenant(pool, **bad):
            pass


def test_injected_reset_role_or_set_role_inside_tenant_gains_nothing(pool, ref):
    load_second_tenant(ref)
    with tenant(pool, org_id=B + "01", user_id=B + "11") as conn:
        conn.execute("RESET ROLE")  # back to the login: still under RLS, still only B
        assert conn.execute("SELECT current_user").fetchone()[0] == APP_LOGIN
        assert {r[0][:8] for r in conn.execute("SELECT id::text FROM core.tasks")} == {"be000000"}
        conn.execute("SELECT set_config('app.current_org_id', %s, true)", (A + "01",))  # and naming A
        assert conn.execute("SELECT count(*) FROM core.tasks").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM core.organizations").fetchone()[0] == 0
    for attempt in ("SET ROLE postgres", "SET SESSION AUTHORIZATION postgres", "SET ROLE audit_reader",
                    "SET ROLE pg_read_all_data"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), tenant(pool, org_id=B + "01", user_id=B + "11") as c:
            c.execute(attempt)
    with tenant(pool, org_id=B + "01", user_id=B + "11") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT count(*) FROM public.schema_migrations")  # the runner's history: not the app's


def test_session_state_never_reaches_the_next_borrower(one_connection):
    pool = one_connection
    with pool.connection() as conn:
        pid = conn.info.backend_pid
        for _ in range(8):  # prepared by psycopg (after 5 executions)
            conn.execute("SELECT count(*) FROM core.tasks WHERE status = %s", ("pending",))
    with tenant(pool, org_id=A + "01", user_id=A + "11") as conn:
        assert conn.info.backend_pid == pid
        conn.execute("SET SESSION ROLE app_user")
        conn.execute("SET search_path = pg_temp, core")
        conn.execute("SET statement_timeout = '1ms'")
        conn.execute("SELECT set_config('app.current_org_id', %s, false),"
                     " set_config('app.current_user_id', %s, false)", (A + "01", A + "11"))
        conn.execute("PREPARE mine AS SELECT 1")
        conn.execute("SELECT pg_advisory_lock(4242)")
    with pool.connection() as conn:
        assert conn.info.backend_pid == pid  # the same session, reset
        row = conn.execute(
            "SELECT current_user, current_setting('search_path'), current_setting('statement_timeout'),"
            " coalesce(current_setting('app.current_org_id', true), ''),"
            " coalesce(current_setting('app.current_user_id', true), ''),"
            " (SELECT count(*) FROM pg_prepared_statements WHERE name = 'mine'),"
            " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())").fetchone()
        assert row == (APP_LOGIN, '"$user", public', "0", "", "", 0, 0)
        assert conn.execute("SELECT count(*) FROM core.tasks").fetchone()[0] == 0  # no tenant: nothing
        for _ in range(8):  # psycopg forgot the statements DISCARD ALL deallocated
            conn.execute("SELECT count(*) FROM core.tasks WHERE status = %s", ("pending",))
    with pytest.raises(psycopg.errors.DivisionByZero), tenant(pool, org_id=A + "01", user_id=A + "11") as conn:
        conn.execute("SET SESSION ROLE app_user")
        conn.execute("SELECT 1 / 0")
    with pool.connection() as conn:  # reset after a failed transaction too
        assert conn.execute("SELECT current_user").fetchone()[0] == APP_LOGIN


def test_create_pool_refuses_a_login_that_escapes_row_level_security(ref, ref_dsn, app_dsn, monkeypatch):
    with pytest.raises(ConfigError, match="logs in as postgres, which is a superuser"):
        create_pool(ref_dsn, min_size=1, max_size=1)
    ensure_login(ref, "schemadb_test_bypass", "pw", "app_user")
    ref.execute("ALTER ROLE schemadb_test_bypass BYPASSRLS")
    with pytest.raises(ConfigError, match="has BYPASSRLS"):
        create_pool(app_login_dsn(ref.info.dbname, "schemadb_test_bypass", "pw"), min_size=1, max_size=1)
    ensure_login(ref, "schemadb_test_owner", "pw")  # the owner of one table, reached by SET ROLE
    ensure_login(ref, "schemadb_test_member", "pw", "app_user", "schemadb_test_owner")
    ref.execute("CREATE TABLE public.owned_one (id int)")
    ref.execute("ALTER TABLE public.owned_one OWNER TO schemadb_test_owner")
    with pytest.raises(ConfigError, match="member of schemadb_test_owner .* owns table owned_one"):
        create_pool(app_login_dsn(ref.info.dbname, "schemadb_test_member", "pw"), min_size=1, max_size=1)
    ref.execute("DROP TABLE public.owned_one")
    # the owner's variables are not the application's: SCHEMADB_DSN alone is not enough
    monkeypatch.setenv("SCHEMADB_DSN", ref_dsn)
    monkeypatch.setenv("DATABASE_URL", ref_dsn)
    with pytest.raises(ConfigError, match="SCHEMADB_APP_DSN"):
        create_pool()
    monkeypatch.setenv("SCHEMADB_APP_DSN", ref_dsn)
    with pytest.raises(ConfigError, match="SCHEMADB_APP_DSN logs in as postgres"):
        create_pool()
    monkeypatch.setenv("SCHEMADB_APP_DSN", app_dsn.replace("app-pw-for-tests", "wrong-secret"))
    try:
        create_pool(min_size=1, max_size=1).close()  # a trusting server (pg_hba trust) lets it in
    except ConnectError as e:
        assert "wrong-secret" not in str(e)
    monkeypatch.setenv("SCHEMADB_APP_DSN", app_dsn)
    with create_pool(min_size=1, max_size=1) as p, tenant(p, org_id=A + "01", user_id=A + "11") as conn:
        assert conn.execute("SELECT count(*) FROM core.tasks").fetchone()[0] == 8


def test_pool_defaults_follow_the_seed(monkeypatch):
    from schemadb.db import pool_settings_from_env

    assert pool_settings_from_env() == {"min_size": 10, "max_size": 100, "timeout": 30.0, "max_idle": 300.0}
    monkeypatch.setenv("SCHEMADB_POOL_MAX", "20")
    assert pool_settings_from_env()["max_size"] == 20


def test_cache_reads_through_and_invalidates(pool, ref, redis_url):
    cache = Cache(pool, redis_url=redis_url, version_ttl=0)
    first = cache.agent_status_summary(A + "01", A + "11")
    assert len(first) == 9 and cache.stats == {"hits": 0, "misses": 1}
    assert cache.agent_status_summary(A + "01", A + "11") == first and cache.stats["hits"] == 1
    ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
    stale = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01", A + "11")}
    assert stale["demo-research"] == "online"  # cached until invalidated (or its TTL)
    cache.invalidate("agent_status_summary", A + "01")
    fresh = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01", A + "11")}
    assert fresh["demo-research"] == "offline"
    ref_data = cache.reference_data()
    assert len(ref_data["task_types"]) == 9 and cache.reference_data() == ref_data
    assert cache.project_task_stats(A + "01", A + "11")[0]["total_tasks"] == 8


def test_cache_never_answers_one_caller_with_another_callers_entry(pool, ref, redis_url):
    load_second_tenant(ref)
    cache = Cache(pool, redis_url=redis_url, version_ttl=0)
    rows = cache.agent_status_summary(A + "01", A + "11")
    assert len(rows) == 9 and {r["organization_id"] for r in rows} == {A + "01"}
    assert cache.agent_status_summary(A + "01", B + "11") == []  # a member of B naming A: not A's cached rows
    assert cache.agent_status_summary(A + "01", agent_id=B + "34") == []
    assert cache.project_task_stats(A + "01", B + "11") == []
    assert len(cache.agent_status_summary(A + "01", A + "12")) == 9
    with pytest.raises(ValueError):
        cache.agent_status_summary(A + "01")  # nobody: the policies need a caller
    ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
    cache.invalidate("agent_status_summary", A + "01")  # every caller's entry at once
    for user in (A + "11", A + "12"):
        assert {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01", user)}["demo-research"] == \
            "offline"


def test_sessions_and_organizations_after_sign_in(pool, ref):
    load_second_tenant(ref)
    with unauthenticated(pool, user_id=A + "11") as conn:
        assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (A + "11",)).fetchall() == [("demo",)]
        assert conn.execute("SELECT slug FROM core.user_organizations(%s)", (B + "11",)).fetchall() == []


def test_migrate_invalidates_every_cached_entry(pool, ref, ref_dsn, redis_url, tmp_path):
    cache = Cache(pool, redis_url=redis_url, version_ttl=0)
    cache.agent_status_summary(A + "01", A + "11")
    ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
    project = tmp_path / "ref"
    shutil.copytree(ROOT / "migrations", project / "migrations")
    shutil.copytree(ROOT / "rollback", project / "rollback")
    nxt = f"{int(REFERENCE_VERSION) + 1:04d}"
    (project / f"migrations/{nxt}_comment.sql").write_text("COMMENT ON COLUMN core.tasks.tags IS 'free labels';\n")
    (project / f"rollback/{nxt}_comment.sql").write_text("COMMENT ON COLUMN core.tasks.tags IS NULL;\n")
    r = Cli(ref_dsn, project)("migrate", env={"SCHEMADB_REDIS_URL": redis_url})
    assert r.exit_code == 0, r.output
    assert cache.schema_version() == nxt
    fresh = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01", A + "11")}
    assert fresh["demo-research"] == "offline"


def test_redis_stopped_mid_test_still_answers_from_postgres(pool, ref, own_redis_proc):
    url = f"redis://{own_redis_proc.host}:{own_redis_proc.port}/0"
    cache = Cache(pool, redis_url=url, version_ttl=0, retry_after=30)
    assert len(cache.agent_status_summary(A + "01", A + "11")) == 9
    assert len(cache.agent_status_summary(A + "01", A + "11")) == 9 and cache.stats["hits"] == 1
    own_redis_proc.stop()
    try:
        ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
        t = time.monotonic()
        rows = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01", A + "11")}
        assert rows["demo-research"] == "offline"  # straight from PostgreSQL
        for _ in range(20):  # and Redis is not retried on every call
            cache.agent_status_summary(A + "01", A + "11")
        assert time.monotonic() - t < 5
        store = SessionStore(pool, redis_url=url)
        s = store.create(A + "11", "tok-outage", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
        assert store.lookup("tok-outage")["session_id"] == s["session_id"]
    finally:
        own_redis_proc.start()


def test_sessions_live_in_redis_and_postgres(pool, ref, redis_url):
    store = SessionStore(pool, redis_url=redis_url)
    client = redis.Redis.from_url(redis_url)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    s = store.create(A + "11", "tok-1", expires, ip_address="192.0.2.1")
    key = f"{store.namespace}:session:tok-1"
    assert client.exists(key) and 290 <= client.ttl(key) <= 300  # TTL of expires_at, capped by max_staleness
    assert store.lookup("tok-1") == s
    client.flushdb()  # Redis lost: still valid from PostgreSQL, and cached again
    assert store.lookup("tok-1")["session_id"] == s["session_id"] and client.exists(key)
    assert ref.execute("SELECT count(*) FROM core.user_sessions WHERE token_hash = 'tok-1'").fetchone()[0] == 1
    assert store.revoke("tok-1") is True  # revoked in PostgreSQL: gone from Redis too
    assert not client.exists(key) and store.lookup("tok-1") is None
    assert ref.execute("SELECT count(*) FROM core.user_sessions WHERE token_hash = 'tok-1'").fetchone()[0] == 0
    store.create(A + "11", "tok-old", dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    time.sleep(1.2)
    assert store.lookup("tok-old") is None  # expired
