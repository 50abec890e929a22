"""User sessions in Redis, backed by core.user_sessions (the durable store and the revocation list).

Redis lost: lookups fall back to PostgreSQL (core.session_lookup) and re-cache. Revoked through
`revoke()`: gone from both at once. Each Redis entry lives until the session expires, but at most
`max_staleness` seconds, so a session deleted directly in PostgreSQL stops being served from Redis
within that bound.
"""

from __future__ import annotations

import datetime as dt
import json

from .app import DEFAULT_ROLE, unauthenticated


class SessionStore:
    def __init__(self, pool, redis_url: str | None = None, namespace: str | None = None,
                 max_staleness: int = 300, timeout: float = 0.25, retry_after: float = 5.0, role: str = DEFAULT_ROLE):
        from .cache import GuardedRedis, default_namespace

        self._redis = GuardedRedis(redis_url, timeout, retry_after)
        self.namespace = namespace or default_namespace(pool)
        self.pool = pool
        self.max_staleness = max_staleness
        self.role = role

    def _key(self, token_hash: str) -> str:
        return f"{self.namespace}:session:{token_hash}"

    def _remember(self, token_hash: str, session: dict) -> None:
        expires = dt.datetime.fromisoformat(session["expires_at"])
        ttl = int(min((expires - dt.datetime.now(dt.UTC)).total_seconds(), self.max_staleness))
        if ttl > 0:
            self._redis(lambda r: r.set(self._key(token_hash), json.dumps(session), ex=ttl))

    def create(self, user_id, token_hash: str, expires_at: dt.datetime, ip_address: str | None = None,
               user_agent: str | None = None) -> dict:
        with unauthenticated(self.pool, user_id=user_id, role=self.role) as conn:
            row = conn.execute(
                "INSERT INTO core.user_sessions (user_id, token_hash, expires_at, ip_address, user_agent)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id", (user_id, token_hash, expires_at, ip_address, user_agent)
            ).fetchone()
        session = {"session_id": str(row[0]), "user_id": str(user_id), "expires_at": expires_at.isoformat()}
        self._remember(token_hash, session)
        return session

    def lookup(self, token_hash: str) -> dict | None:
        raw = self._redis(lambda r: r.get(self._key(token_hash)))
        if raw is not None:
            session = json.loads(raw)
            if dt.datetime.fromisoformat(session["expires_at"]) > dt.datetime.now(dt.UTC):
                return session
        with unauthenticated(self.pool, role=self.role) as conn:
            row = conn.execute("SELECT session_id, user_id, expires_at FROM core.session_lookup(%s)",
                               (token_hash,)).fetchone()
        if row is None:
            return None
        session = {"session_id": str(row[0]), "user_id": str(row[1]), "expires_at": row[2].isoformat()}
        self._remember(token_hash, session)
        return session

    def revoke(self, token_hash: str) -> bool:
        """Delete the session in PostgreSQL (the source of truth), then in Redis."""
        session = self.lookup(token_hash)
        deleted = False
        if session is not None:
            with unauthenticated(self.pool, user_id=session["user_id"], role=self.role) as conn:
                deleted = conn.execute("DELETE FROM core.user_sessions WHERE token_hash = %s",
                                       (token_hash,)).rowcount > 0
        self._redis(lambda r: r.delete(self._key(token_hash)))
        return deleted
