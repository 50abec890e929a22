"""Redis read-through cache for the frequent queries, and the schema-version key `migrate` bumps.

Keys are `<namespace>:v<schema version>:<query>:<parameters>`; `schemadb migrate` writes the new version to
`<namespace>:schema_version` (when SCHEMADB_REDIS_URL is set), which invalidates every cached entry at once.
Redis is never the source of truth: when it is down, every read goes to PostgreSQL (and Redis is left
alone for a few seconds rather than slowing each call with a timeout).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .app import DEFAULT_ROLE, tenant

DEFAULT_TTLS = {"agent_status_summary": 15, "project_task_stats": 60, "reference_data": 3600}
VERSION_KEY = "schema_version"


def namespace_for(dbname: str) -> str:
    return os.environ.get("SCHEMADB_CACHE_NAMESPACE") or f"schemadb:{dbname}"


def _normalize(value: Any) -> Any:
    """What comes out of Redis (JSON): uuids, timestamps and decimals as strings, both ways the same."""
    return json.loads(json.dumps(value, default=str))


def publish_schema_version(redis_url: str, namespace: str, version: str | None) -> None:
    """Called by `schemadb migrate` after it applied something: new keys for every cached entry."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    client.set(f"{namespace}:{VERSION_KEY}", version or "none")


class GuardedRedis:
    """Redis calls that never raise: on an error the call returns None and Redis is left alone for
    `retry_after` seconds, so an outage costs one short timeout, not one per call."""

    def __init__(self, redis_url: str | None = None, timeout: float = 0.25, retry_after: float = 5.0):
        import redis

        url = redis_url or os.environ.get("SCHEMADB_REDIS_URL")
        if url:
            from .config import check_redis_url

            check_redis_url(url, "redis_url" if redis_url else "SCHEMADB_REDIS_URL")
        self.client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout) if url else None
        self.retry_after = retry_after
        self.errors = 0
        self._down_until = 0.0

    def __call__(self, op: Callable):
        import redis

        if self.client is None or time.monotonic() < self._down_until:
            return None
        try:
            return op(self.client)
        except redis.RedisError:
            self.errors += 1
            self._down_until = time.monotonic() + self.retry_after
            return None


def default_namespace(pool) -> str:
    with pool.connection() as conn:
        return namespace_for(conn.info.dbname)


class Cache:
    def __init__(self, pool, redis_url: str | None = None, namespace: str | None = None,
                 ttls: dict[str, int] | None = None, timeout: float = 0.25, retry_after: float = 5.0,
                 version_ttl: float = 1.0, role: str = DEFAULT_ROLE):
        self.pool = pool
        self._redis = GuardedRedis(redis_url, timeout, retry_after)
        self.namespace = namespace or default_namespace(pool)
        self.ttls = {**DEFAULT_TTLS, **(ttls or {})}
        self.version_ttl = version_ttl
        self.role = role
        self._version: tuple[float, str] | None = None
        self.stats = {"hits": 0, "misses": 0}

    def schema_version(self) -> str:
        now = time.monotonic()
        if self._version and now - self._version[0] < self.version_ttl:
            return self._version[1]
        raw = self._redis(lambda r: r.get(f"{self.namespace}:{VERSION_KEY}"))
        if raw is not None:
            version = raw.decode()
        else:
            version = self._version_from_postgres()
            self._redis(lambda r: r.set(f"{self.namespace}:{VERSION_KEY}", version, nx=True))
        self._version = (now, version)
        return version

    def _version_from_postgres(self) -> str:
        from psycopg import sql

        from .config import DEFAULT_HISTORY_TABLE, split_table_name

        table = sql.Identifier(*split_table_name(os.environ.get("SCHEMADB_HISTORY_TABLE", DEFAULT_HISTORY_TABLE)))
        with self.pool.connection() as conn:
            try:
                v = conn.execute(sql.SQL("SELECT max(version) FROM {}").format(table)).fetchone()[0]
            except (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege):
                # the application's login need not read the history: `migrate` publishes the version to Redis
                conn.rollback()
                v = None
        return v or "none"

    def key(self, name: str, *parts) -> str:
        return ":".join([self.namespace, f"v{self.schema_version()}", name, *map(str, parts)])

    def read_through(self, name: str, parts: tuple, loader: Callable[[], Any], caller: str | None = None) -> Any:
        """The cached value of `name` for `parts`, else loader()'s, cached for the query's TTL. With `caller`, the
        entries of one `parts` are kept per caller (a Redis hash: one field per caller, all of them gone at once
        by invalidate(name, *parts), none older than the TTL)."""
        key = self.key(name, *parts)
        raw = self._redis(lambda r: r.get(key) if caller is None else r.hget(key, caller))
        if raw is not None:
            self.stats["hits"] += 1
            return json.loads(raw)
        self.stats["misses"] += 1
        value = _normalize(loader())
        ttl = self.ttls.get(name, 60)
        if caller is None:
            self._redis(lambda r: r.set(key, json.dumps(value), ex=ttl))
        else:
            self._redis(lambda r: self._remember_for(r, key, caller, json.dumps(value), ttl))
        return value

    @staticmethod
    def _remember_for(r, key: str, caller: str, value: str, ttl: int) -> None:
        pipe = r.pipeline()
        pipe.hset(key, caller, value)
        pipe.ttl(key)
        if pipe.execute()[1] < 0:  # the first entry of this hash: the hash expires with it
            r.expire(key, ttl)

    def invalidate(self, name: str, *parts) -> None:
        """After a write that changes what `name` returns for these parameters (for every caller)."""
        key = self.key(name, *parts)
        self._redis(lambda r: r.delete(key))

    # -- the frequent queries --
    def agent_status_summary(self, org_id, user_id=None, *, agent_id=None) -> list[dict]:
        """The organization's agents, as a member (user_id) or one of its agents (agent_id) sees them. Cached per
        caller: the policies decide who may see them, so an entry loaded for one caller never answers another."""
        if not (user_id or agent_id):
            raise ValueError("agent_status_summary(): user_id or agent_id is required (the policies check it)")

        def load():
            with tenant(self.pool, org_id=org_id, user_id=user_id, agent_id=agent_id, role=self.role) as conn, \
                    conn.cursor(row_factory=dict_row) as cur:
                # RLS scopes the rows to the organization; the explicit filter is defence in depth
                return cur.execute("SELECT * FROM core.agent_status_summary WHERE organization_id = %s"
                                   " ORDER BY handle", (org_id,)).fetchall()
        caller = f"user:{user_id}" if user_id else f"agent:{agent_id}"
        return self.read_through("agent_status_summary", (org_id,), load, caller=caller)

    def project_task_stats(self, org_id, user_id) -> list[dict]:
        def load():
            with tenant(self.pool, org_id=org_id, user_id=user_id, role=self.role) as conn, \
                    conn.cursor(row_factory=dict_row) as cur:
                return cur.execute("SELECT * FROM core.project_task_stats_scoped ORDER BY project_id").fetchall()
        return self.read_through("project_task_stats", (org_id,), load, caller=f"user:{user_id}")

    def reference_data(self) -> dict:
        def load():
            with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                return {
                    "task_types": cur.execute("SELECT task_type, agent_type, description, default_complexity,"
                                              " max_complexity, default_timeout_seconds FROM config.task_types"
                                              " WHERE is_active ORDER BY task_type").fetchall(),
                    "agent_capabilities": cur.execute("SELECT capability_name, agent_type, description,"
                                                      " is_mcp_dependent, mcp_server_name FROM config.agent_capabilities"
                                                      " ORDER BY capability_name").fetchall(),
                    "mcp_server_types": cur.execute("SELECT server_type, description, default_configuration"
                                                    " FROM config.mcp_server_types WHERE is_active"
                                                    " ORDER BY server_type").fetchall(),
                }
        return self.read_through("reference_data", (), load)
