"""Templates under live writes: `schemadb new --template add-index` beside a plain CREATE INDEX.

pgbench writes (4 clients, 200 transactions/s, the lock benchmark's harness) while the index is built:
- on a 1,000,000-row table (point updates): the add-index template's CREATE INDEX CONCURRENTLY applied by
  `schemadb migrate`, beside a plain `CREATE INDEX` of the same index by psql;
- on a partitioned table of 6 monthly partitions x 200,000 rows and a DEFAULT partition (inserts through the
  parent): the same template, which schemadb carries out partition by partition, beside one plain CREATE INDEX on
  the parent (which blocks writes to every partition throughout).
Printed: worst and p99 application latency during the build, transactions over 250 ms, failed ones, build time.
No target on the build time; the target is the application never stalling longer than one lock attempt (the
default cap, 200 ms, plus the write itself): worst <= 250 ms, nothing failed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from bench_locks import _pgbench, _summary, _transactions
from psycopg import sql

from schemadb import _localpg

from common import fresh_db, schemadb_cmd, table

UPDATES = "\\set id random(1, 1000000)\nUPDATE w SET v = v + 1 WHERE id = :id;\n"
INSERTS = ("INSERT INTO pw (created_at, note) VALUES "
           "(timestamptz '2026-01-01' + random() * interval '180 days', md5(random()::text));\n")


def _plain(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS w, pw, schema_migrations, schema_migrations_log CASCADE")
        c.execute("CREATE TABLE w (id bigint PRIMARY KEY, v int, note text)")
        c.execute("INSERT INTO w SELECT g, g, md5(g::text) FROM generate_series(1, 1000000) g")
        c.execute("VACUUM ANALYZE w")


def _partitioned(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS w, pw, schema_migrations, schema_migrations_log CASCADE")
        c.execute("CREATE TABLE pw (id bigint GENERATED ALWAYS AS IDENTITY, created_at timestamptz NOT NULL,"
                  " note text, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)")
        c.execute("CREATE TABLE pw_default PARTITION OF pw DEFAULT")
        for m in range(1, 7):
            c.execute(sql.SQL("CREATE TABLE {} PARTITION OF pw FOR VALUES FROM ({}) TO ({})").format(
                sql.Identifier(f"pw_y2026m{m:02d}"), sql.Literal(f"2026-{m:02d}-01"), sql.Literal(f"2026-{m + 1:02d}-01")))
        c.execute("INSERT INTO pw (created_at, note) SELECT timestamptz '2026-01-01' + (g % 180) * interval '1 day'"
                  " + (g % 86400) * interval '1 s', md5(g::text) FROM generate_series(1, 1200000) g")
        c.execute("VACUUM ANALYZE pw")


def _build(dsn: str, script: str, table_name: str, how: str) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proj = tmp / "proj"
        env = {**os.environ, "SCHEMADB_DSN": dsn, "SCHEMADB_DIR": str(proj), "SCHEMADB_CACHE_DIR": "off"}
        subprocess.run(schemadb_cmd("new", "note_idx", "--template", "add-index", "--set", f"table={table_name}",
                                    "--set", "columns=note", "--set", "name=note_idx", "-q"), env=env, check=True)
        bench = _pgbench(dsn, script, 14, tmp)
        time.sleep(2)
        t0 = time.time()
        if how == "schemadb":
            p = subprocess.run(schemadb_cmd("migrate", "-q"), env=env, capture_output=True, text=True)
        else:
            ddl = sql.SQL("CREATE INDEX note_idx ON {} (note)").format(sql.Identifier(table_name)).as_string(None)
            p = subprocess.run([str(_localpg.bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", ddl, dsn],
                               capture_output=True, text=True)
        t1 = time.time()
        bench.communicate()
        worst, p99, slow, failed = _summary(_transactions(tmp), t0, t1)
        with psycopg.connect(dsn) as c:
            valid = c.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('note_idx')").fetchone()
        state = "valid" if valid and valid[0] else "INVALID" if valid else "absent"
        return worst, p99, slow, failed, f"{t1 - t0:.1f} s", state, p.returncode


def run(server_dsn: str) -> None:
    rows = []
    with fresh_db(server_dsn, "bench_templates") as (dsn, _):
        for how in ("schemadb", "psql CREATE INDEX"):
            _plain(dsn)
            r = _build(dsn, UPDATES, "w", how)
            ok = "ok" if int(r[0]) <= 250 and r[3] == 0 and r[5] == "valid" else "MISSED"
            rows.append((f"1M rows, updates: {how}", *r, ok if how == "schemadb" else "(peer)"))
        for how in ("schemadb", "psql CREATE INDEX"):
            _partitioned(dsn)
            r = _build(dsn, INSERTS, "pw", how)
            ok = "ok" if int(r[0]) <= 250 and r[3] == 0 and r[5] == "valid" else "MISSED"
            rows.append((f"6 x 200k partitions + default, inserts: {how}", *r, ok if how == "schemadb" else "(peer)"))
    table(rows, ("scenario", "worst ms", "p99 ms", "> 250 ms", "failed", "build", "index", "exit", "target"))
