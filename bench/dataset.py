"""The benchmark data set (bench/sql/volume.sql) in a fresh database with the reference schema."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

from schemadb import runner
from schemadb.config import Settings

from common import fresh_db

SIZES = {"orgs": 10, "projects": 100, "agents": 1000, "tasks": 1_000_000, "messages": 5_000_000, "audit": 2_000_000}


@contextmanager
def loaded(server_dsn: str, sizes: dict | None = None):
    sizes = {**SIZES, **(sizes or {})}
    with fresh_db(server_dsn, "bench_data") as (dsn, _name):
        res = runner.migrate(Settings(dsn=dsn))
        assert res.error is None, res.error
        t = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            for k, v in sizes.items():
                conn.execute("SELECT set_config(%s, %s, false)", (f"bench.{k}", str(v)))
            import pglast

            text = (Path(__file__).parent / "sql/volume.sql").read_text()
            for stmt in pglast.split(text, with_parser=True):
                conn.execute(stmt)
            conn.execute("VACUUM ANALYZE")
            conn.execute("REFRESH MATERIALIZED VIEW metrics.project_task_stats")
        print(f"loaded {sizes} in {time.perf_counter() - t:.0f} s")
        yield dsn
