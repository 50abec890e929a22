"""schemadb.db (pool, tenant context), schemadb.cache and schemadb.sessions: real PostgreSQL, real Redis."""

import datetime as dt
import shutil
import time

import pytest
import redis
from test_rls import load_second_tenant

from schemadb.cache import Cache
from schemadb.db import create_pool, tenant
from schemadb.sessions import SessionStore

from conftest import REFERENCE_VERSION, ROOT, Cli

A = "de000000-0000-4000-8000-0000000000"
B = "be000000-0000-4000-8000-0000000000"


@pytest.fixture
def pool(ref_dsn):
    p = create_pool(ref_dsn, min_size=1, max_size=4)
    yield p
    p.close()


def test_tenant_context_isolates_organizations_and_does_not_leak(pool, ref):
    load_second_tenant(ref)
    with tenant(pool, org_id=A + "01", user_id=A + "11", role="app_user") as conn:
        ids = {r[0] for r in conn.execute("SELECT id::text FROM core.tasks")}
        assert len(ids) == 8 and all(i.startswith("de000000") for i in ids)
        assert conn.execute("SELECT count(*) FROM core.organizations").fetchone()[0] == 1
    with tenant(pool, org_id=B + "01", user_id=B + "11", role="app_user") as conn:
        assert {r[0][:8] for r in conn.execute("SELECT id::text FROM core.tasks")} == {"be000000"}
    with pool.connection() as conn:  # the pooled connection kept nothing of the last tenant
        assert conn.execute("SELECT coalesce(current_setting('app.current_org_id', true), ''),"
                            " current_user").fetchone() == ("", "postgres")
    with pytest.raises(ValueError):
        with tenant(pool, org_id=None):
            pass


def test_pool_defaults_follow_the_seed(monkeypatch):
    from schemadb.db import pool_settings_from_env

    assert pool_settings_from_env() == {"min_size": 10, "max_size": 100, "timeout": 30.0, "max_idle": 300.0}
    monkeypatch.setenv("SCHEMADB_POOL_MAX", "20")
    assert pool_settings_from_env()["max_size"] == 20


def test_cache_reads_through_and_invalidates(pool, ref, redis_url):
    cache = Cache(pool, redis_url=redis_url, version_ttl=0, role="app_user")
    first = cache.agent_status_summary(A + "01")
    assert len(first) == 9 and cache.stats == {"hits": 0, "misses": 1}
    assert cache.agent_status_summary(A + "01") == first and cache.stats["hits"] == 1
    ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
    stale = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01")}
    assert stale["demo-research"] == "online"  # cached until invalidated (or its TTL)
    cache.invalidate("agent_status_summary", A + "01")
    fresh = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01")}
    assert fresh["demo-research"] == "offline"
    ref_data = cache.reference_data()
    assert len(ref_data["task_types"]) == 9 and cache.reference_data() == ref_data
    assert cache.project_task_stats(A + "01", A + "11")[0]["total_tasks"] == 8


def test_cache_filters_by_organization_even_for_a_login_that_bypasses_rls(pool, ref, redis_url):
    load_second_tenant(ref)
    cache = Cache(pool, redis_url=redis_url, version_ttl=0)  # no role: the owner login, RLS bypassed
    rows = cache.agent_status_summary(A + "01")
    assert len(rows) == 9 and {r["organization_id"] for r in rows} == {A + "01"}


def test_migrate_invalidates_every_cached_entry(pool, ref, ref_dsn, redis_url, tmp_path):
    cache = Cache(pool, redis_url=redis_url, version_ttl=0, role="app_user")
    cache.agent_status_summary(A + "01")
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
    fresh = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01")}
    assert fresh["demo-research"] == "offline"


def test_redis_stopped_mid_test_still_answers_from_postgres(pool, ref, own_redis_proc):
    url = f"redis://{own_redis_proc.host}:{own_redis_proc.port}/0"
    cache = Cache(pool, redis_url=url, version_ttl=0, role="app_user", retry_after=30)
    assert len(cache.agent_status_summary(A + "01")) == 9
    assert len(cache.agent_status_summary(A + "01")) == 9 and cache.stats["hits"] == 1
    own_redis_proc.stop()
    try:
        ref.execute("UPDATE core.agents SET status = 'offline' WHERE handle = 'demo-research'")
        t = time.monotonic()
        rows = {r["handle"]: r["status"] for r in cache.agent_status_summary(A + "01")}
        assert rows["demo-research"] == "offline"  # straight from PostgreSQL
        for _ in range(20):  # and Redis is not retried on every call
            cache.agent_status_summary(A + "01")
        assert time.monotonic() - t < 5
        store = SessionStore(pool, redis_url=url, role="app_user")
        s = store.create(A + "11", "tok-outage", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
        assert store.lookup("tok-outage")["session_id"] == s["session_id"]
    finally:
        own_redis_proc.start()


def test_sessions_live_in_redis_and_postgres(pool, ref, redis_url):
    store = SessionStore(pool, redis_url=redis_url, role="app_user")
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
