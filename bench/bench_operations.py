"""Operations: cached vs uncached agent status summary; backup and restore against plain pg_dump/pg_restore.

On the benchmark data set (1,000 agents, 1,000,000 tasks, …): the agent status summary of one organization
(100 agents) through schemadb.cache, cold (PostgreSQL) and cached (Redis); target cached p50 <= 1 ms and
>= 10x faster than uncached. Then `schemadb backup` vs `pg_dump -Fc`, and `schemadb restore` vs
`pg_restore --single-transaction`, alternating; target <= 1.1x their time.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from schemadb.app import create_pool
from schemadb.backup import libpq_target
from schemadb.cache import Cache

from common import app_login, median, schemadb_cmd, table, timed
from dataset import loaded

USES_DATASET = True
REDIS_URL = os.environ.get("SCHEMADB_BENCH_REDIS_URL", os.environ.get("SCHEMADB_TEST_REDIS_URL",
                                                                       "redis://127.0.0.1:6379/0"))
ORG = "b0000000-0000-4000-8000-000000000003"
OWNER = "b1000000-0000-4000-8000-000000000015"  # the owner of organization 3 (volume.sql: user (org - 1) * 10 + 1)


def _latencies(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(server_dsn: str, dsn: str | None = None) -> None:
    import contextlib

    dsn = dsn or os.environ.get("SCHEMADB_BENCH_DATA_DSN")
    ctx = contextlib.nullcontext(dsn) if dsn else loaded(server_dsn)
    rows = []
    with ctx as dsn:
        pool = create_pool(app_login(dsn), min_size=1, max_size=2)  # the application's login: RLS applies
        try:
            cache = Cache(pool, redis_url=REDIS_URL, namespace="schemadb:bench", ttls={"agent_status_summary": 3600})
            cache.agent_status_summary(ORG, OWNER)
            uncached = _latencies(lambda: (cache.invalidate("agent_status_summary", ORG),
                                           cache.agent_status_summary(ORG, OWNER)), 50)
            cache.agent_status_summary(ORG, OWNER)
            cached = _latencies(lambda: cache.agent_status_summary(ORG, OWNER), 500)
        finally:
            pool.close()
        p50u, p50c = statistics.median(uncached), statistics.median(cached)
        rows.append(("agent status summary, uncached (PostgreSQL)", f"p50 {p50u:.2f} ms", ""))
        rows.append(("agent status summary, cached (Redis)", f"p50 {p50c:.3f} ms",
                     f"{p50u / p50c:.0f}x faster; target p50 <= 1 ms and >= 10x"))

        target, env = libpq_target(dsn)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            plain_dump, our_dump, plain_restore, our_restore = [], [], [], []
            our_file = None
            for i in range(3):
                plain_dump.append(timed(["pg_dump", "-Fc", f"--file={tmp / f'plain{i}.dump'}", f"--dbname={target}"],
                                        env))
                t = time.perf_counter()
                timed(schemadb_cmd("backup", "--out", str(tmp / "ours"), "-q"), {"SCHEMADB_DSN": dsn})
                our_dump.append(time.perf_counter() - t)
            our_file = sorted((tmp / "ours").glob("*.dump"))[-1]
            for i in range(2):
                for kind in ("plain", "ours"):
                    name = f"bench_restore_{kind}_{i}"
                    with psycopg.connect(dsn, autocommit=True) as c:
                        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    target_dsn = make_conninfo(dsn, dbname=name)
                    try:
                        if kind == "plain":
                            plain_restore.append(timed(["pg_restore", "--single-transaction", "--exit-on-error",
                                                        f"--dbname={target_dsn}", str(tmp / "plain0.dump")]))
                        else:
                            our_restore.append(timed(schemadb_cmd("restore", str(our_file), "-q"),
                                                     {"SCHEMADB_DSN": target_dsn}))
                    finally:
                        with psycopg.connect(dsn, autocommit=True) as c:
                            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            size = our_file.stat().st_size
        rows.append(("pg_dump -Fc (floor)", f"{median(plain_dump):.1f} s", f"{size / 1e6:.0f} MB"))
        rows.append(("schemadb backup", f"{median(our_dump):.1f} s",
                     f"{median(our_dump) / median(plain_dump):.2f}x pg_dump (snapshot row counts, sha256, TOC check);"
                     " target <= 1.1x"))
        rows.append(("pg_restore --single-transaction (floor)", f"{median(plain_restore):.1f} s", ""))
        rows.append(("schemadb restore", f"{median(our_restore):.1f} s",
                     f"{median(our_restore) / median(plain_restore):.2f}x pg_restore (sha256, row-count check);"
                     " target <= 1.1x"))
    table(rows, ("what", "time", "note"))
