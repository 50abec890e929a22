"""Partitions and archive: ensure 24 months, batched archive vs one statement, archive of a month by detach.

- `partitions ensure --ahead 24` for every partitioned table of a fresh schema, then the no-op second run;
- archive of 1,000,000 rows from a plain table (audit.task_execution_audit), rows/s, against the floor of one
  `WITH d AS (DELETE … RETURNING *) INSERT INTO archive… SELECT * FROM d` statement; target >= 0.5x the
  floor's rate, never holding a lock longer than one batch (the longest batch is printed);
- archive of one month partition of core.agent_outputs at 100,000 and 1,000,000 rows: target < 1 s, flat.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import psycopg

from schemadb import archive, runner
from schemadb.config import Settings

from common import fresh_db, schemadb_cmd, table, timed

ROWS = 1_000_000


def migrated(server_dsn: str):
    ctx = fresh_db(server_dsn, "bench_archive")
    dsn, _ = ctx.__enter__()
    res = runner.migrate(Settings(dsn=dsn))
    assert res.error is None, res.error
    return ctx, dsn


def load_plain(dsn: str, n: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO audit.task_execution_audit (created_at, organization_id, task_id, agent_id,"
                  " execution_phase, phase_status, input_data) SELECT '2020-01-01'::timestamptz + g * interval '1 s',"
                  " gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'run', 'completed', '{\"k\": 1}'"
                  " FROM generate_series(1, %s) g", (n,))
        c.execute("VACUUM ANALYZE audit.task_execution_audit")


def run(server_dsn: str) -> None:
    rows = []
    # 1. partitions ensure, 24 months ahead
    ctx, dsn = migrated(server_dsn)
    try:
        env = {"SCHEMADB_DSN": dsn}
        first = timed(schemadb_cmd("partitions", "ensure", "--ahead", "24", "-q"), env)
        second = timed(schemadb_cmd("partitions", "ensure", "--ahead", "24", "-q"), env)
        with psycopg.connect(dsn) as c:
            n = c.execute("SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent"
                          " JOIN pg_class k ON k.oid = i.inhrelid JOIN pg_namespace s ON s.oid = p.relnamespace"
                          " WHERE s.nspname <> 'archive' AND k.relkind = 'r'").fetchone()[0]
        rows.append(("partitions ensure --ahead 24 (fresh schema)", f"{first * 1000:.0f} ms",
                     f"{n} partitions of 7 tables now"))
        rows.append(("partitions ensure --ahead 24 (second run, no-op)", f"{second * 1000:.0f} ms", ""))
    finally:
        ctx.__exit__(None, None, None)

    # 2. batched archive of a plain table vs the single-statement floor
    ctx, dsn = migrated(server_dsn)
    try:
        load_plain(dsn, ROWS)
        with psycopg.connect(dsn, autocommit=True) as c:
            t = time.perf_counter()
            c.execute("WITH d AS (DELETE FROM audit.task_execution_audit WHERE created_at < '2021-01-01' RETURNING *)"
                      " INSERT INTO archive.task_execution_audit SELECT * FROM d")
            floor = time.perf_counter() - t
            c.execute("INSERT INTO audit.task_execution_audit SELECT * FROM archive.task_execution_audit")
            c.execute("TRUNCATE archive.task_execution_audit")
            c.execute("VACUUM ANALYZE audit.task_execution_audit")
        batches: list[float] = []
        last = [time.perf_counter()]

        def emit(kind, **d):
            if kind == "archive_progress":
                now = time.perf_counter()
                batches.append(now - last[0])
                last[0] = now

        os.environ["SCHEMADB_NOW"] = "2026-01-01"
        with psycopg.connect(dsn, autocommit=True) as c:
            t = time.perf_counter()
            last[0] = t
            res = archive.archive(c, Settings(dsn=dsn), table="audit.task_execution_audit", emit=emit)
            took = time.perf_counter() - t
        moved = res.policies[0].rows
        assert moved == ROWS, res.to_json()
        rows.append(("floor: one DELETE … RETURNING → INSERT statement", f"{floor * 1000:.0f} ms",
                     f"{ROWS / floor:,.0f} rows/s; holds its locks for the whole {floor:.1f} s"))
        rows.append(("schemadb archive, batches of 10,000 (plain table)", f"{took * 1000:.0f} ms",
                     f"{moved / took:,.0f} rows/s = {(moved / took) / (ROWS / floor):.2f}x the floor (target >= 0.5x);"
                     f" longest batch {max(batches) * 1000:.0f} ms"))
    finally:
        os.environ.pop("SCHEMADB_NOW", None)
        ctx.__exit__(None, None, None)

    # 3. archive of a month partition by detach + attach: flat in the row count
    for n in (100_000, 1_000_000):
        ctx, dsn = migrated(server_dsn)
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                org = c.execute("INSERT INTO core.organizations (slug, name) VALUES ('b', 'b') RETURNING id").fetchone()[0]
                agent = c.execute("INSERT INTO core.agents (organization_id, handle, name, agent_type) VALUES"
                                  " (%s, 'bench-agent', 'A', 'backend') RETURNING id", (org,)).fetchone()[0]
                c.execute("SELECT core.create_monthly_partition('core.agent_outputs', '2025-06-01')")
                c.execute("SET session_replication_role = replica")
                c.execute("INSERT INTO core.agent_outputs (created_at, agent_id, output_type, content)"
                          " SELECT '2025-06-01'::timestamptz + (g %% 2500000) * interval '1 s', %s, 'log', 'line ' || g"
                          " FROM generate_series(1, %s) g", (agent, n))
                c.execute("SET session_replication_role = origin")
                c.execute("VACUUM ANALYZE core.agent_outputs")
            os.environ["SCHEMADB_NOW"] = "2026-01-01"
            with psycopg.connect(dsn, autocommit=True) as c:
                t = time.perf_counter()
                res = archive.archive(c, Settings(dsn=dsn), table="core.agent_outputs")
                took = time.perf_counter() - t
                archived = c.execute("SELECT count(*) FROM archive.agent_outputs").fetchone()[0]
            assert archived == n, res.to_json()
            rows.append((f"schemadb archive of a month partition, {n:,} rows", f"{took * 1000:.0f} ms",
                         f"{len(res.policies[0].partitions)} partition(s) detached and attached; target < 1 s"))
        finally:
            os.environ.pop("SCHEMADB_NOW", None)
            ctx.__exit__(None, None, None)
    table(rows, ("what", "time", "note"))
    print(f"\nmeasured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
