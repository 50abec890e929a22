"""Locks under live traffic: what the application sees while a migration waits for a long transaction.

pgbench runs the application: 4 clients at 200 transactions/s of point reads on table `a` (100,000 rows). A
reader holds `a` for 10 s; 1 s into it, `ALTER TABLE a ADD COLUMN c int` is applied by `schemadb migrate`
(defaults) and, for the peer behaviour (wait until the reader ends), by `psql -f`. Printed: worst and p99
application latency while the migration is pending, transactions over 250 ms, failed transactions, and when the
migration landed after the reader's end. Also: CREATE INDEX CONCURRENTLY behind a 6 s open writer, and
`partitions ensure` while the application inserts into the partitioned parent.
Targets (defaults): worst latency <= 250 ms, no failed transaction, the migration lands <= 1.5 s after the
reader ends; the CIC lands without a manual step.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from schemadb import _localpg, runner
from schemadb.config import Settings

from common import fresh_db, schemadb_cmd, table

RATE, CLIENTS = 200, 4
READS = "\\set id random(1, 100000)\nSELECT v FROM a WHERE id = :id;\n"
INSERTS = ("INSERT INTO metrics.performance_metrics (metric_type, metric_name, metric_value, created_at)"
           " VALUES ('bench', 'latency', random(), now());\n")


def _pgbench(dsn: str, script: str, seconds: int, logdir: Path) -> subprocess.Popen:
    p = conninfo_to_dict(dsn)
    f = logdir / "script.sql"
    f.write_text(script)
    cmd = [str(_localpg.bindir() / "pgbench"), "-n", "-f", str(f), "-c", str(CLIENTS), "-j", "2", "-R", str(RATE),
           "-T", str(seconds), "-l", "--log-prefix", str(logdir / "tx"),
           "-h", p.get("host", "127.0.0.1"), "-p", str(p.get("port", 5432)), "-U", p.get("user", "postgres"),
           p["dbname"]]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PGPASSWORD": p.get("password", "")})


def _transactions(logdir: Path) -> list[tuple[float, float | None]]:
    """(end time epoch s, latency ms or None when it failed) of every logged transaction."""
    out = []
    for f in logdir.glob("tx.*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) < 6:
                continue
            end = int(parts[4]) + int(parts[5]) / 1e6
            out.append((end, None if not parts[2].isdigit() else int(parts[2]) / 1000))
    return out


def _summary(txs, start: float, end: float) -> tuple[str, str, int, int]:
    window = [lat for t, lat in txs if start <= t <= end + 1]
    lats = [x for x in window if x is not None]
    failed = len(window) - len(lats)
    worst = max(lats) if lats else 0
    p99 = statistics.quantiles(lats, n=100)[98] if len(lats) > 100 else worst
    return f"{worst:.0f}", f"{p99:.0f}", sum(1 for x in lats if x > 250), failed


def _prepare(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS a, schema_migrations, schema_migrations_log")  # each scenario from scratch
        c.execute("CREATE TABLE a (id int PRIMARY KEY, v int)")
        c.execute("INSERT INTO a SELECT g, g FROM generate_series(1, 100000) g")
        c.execute("VACUUM ANALYZE a")


def _hold(dsn: str, statement: str, seconds: float, started: threading.Event, ended: list) -> threading.Thread:
    def run():
        with psycopg.connect(dsn, application_name="long-transaction") as c:
            c.execute(statement)
            started.set()
            time.sleep(seconds)
            c.commit()
            ended.append(time.time())
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _scenario(dsn: str, migration: str, how: str, blocker: str, hold_s: float) -> tuple:
    """One run: traffic, a blocker holding for hold_s, the migration applied by `how` 1 s into it."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proj = tmp / "proj"
        (proj / "migrations").mkdir(parents=True)
        (proj / "rollback").mkdir()
        (proj / "migrations/0001_change.sql").write_text(migration)
        (proj / "rollback/0001_change.sql").write_text("SELECT 1;\n")
        bench = _pgbench(dsn, READS, int(hold_s) + 8, tmp)
        time.sleep(2)
        started, ended = threading.Event(), []
        holder = _hold(dsn, blocker, hold_s, started, ended)
        started.wait(10)
        time.sleep(1)
        t0 = time.time()
        if how == "schemadb":
            p = subprocess.run(schemadb_cmd("migrate", "-q"), env={**os.environ, "SCHEMADB_DSN": dsn,
                               "SCHEMADB_DIR": str(proj), "SCHEMADB_CACHE_DIR": "off"}, capture_output=True, text=True)
        else:
            single = ["-1"] if "-1" in how else []
            p = subprocess.run([str(_localpg.bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *single, "-f",
                                str(proj / "migrations/0001_change.sql"), dsn], capture_output=True, text=True)
        landed = time.time()
        holder.join()
        bench.communicate()
        txs = _transactions(tmp)
        worst, p99, slow, failed = _summary(txs, t0, landed)
        after = landed - ended[0] if ended else float("nan")
        return worst, p99, slow, failed, f"{after:+.1f}", p.returncode, p.stderr.strip().splitlines()[-1:] or [""]


def _partitions_under_inserts(server_dsn: str) -> tuple:
    with fresh_db(server_dsn, "bench_locks_parts") as (dsn, _):
        assert runner.migrate(Settings(dsn=dsn)).error is None
        with tempfile.TemporaryDirectory() as tmp:
            bench = _pgbench(dsn, INSERTS, 10, Path(tmp))
            time.sleep(2)
            t0 = time.time()
            p = subprocess.run(schemadb_cmd("partitions", "ensure", "--ahead", "12", "-q"),
                               env={**os.environ, "SCHEMADB_DSN": dsn, "SCHEMADB_CACHE_DIR": "off"},
                               capture_output=True, text=True)
            t1 = time.time()
            bench.communicate()
            worst, p99, slow, failed = _summary(_transactions(Path(tmp)), t0, t1)
            return worst, p99, slow, failed, f"{t1 - t0:.1f} s", p.returncode


def run(server_dsn: str) -> None:
    rows = []
    with fresh_db(server_dsn, "bench_locks") as (dsn, _):
        for how in ("schemadb", "psql -1 -f"):
            _prepare(dsn)
            r = _scenario(dsn, "ALTER TABLE a ADD COLUMN c int;\n", how, "SELECT count(*) FROM a", 10)
            ok = "ok" if how != "schemadb" or (int(r[0]) <= 250 and r[3] == 0 and float(r[4]) <= 1.5) else "MISSED"
            rows.append((f"ALTER TABLE behind a 10 s reader: {how}", *r[:6], ok if how == "schemadb" else "(peer)"))
        for how in ("schemadb", "psql -f"):
            _prepare(dsn)
            cic = "-- schemadb:no-transaction\nCREATE INDEX CONCURRENTLY a_v_idx ON a (v);\n"
            r = _scenario(dsn, cic if how == "schemadb" else "CREATE INDEX CONCURRENTLY a_v_idx ON a (v);\n",
                          how, "INSERT INTO a VALUES (200001, 1)", 6)
            with psycopg.connect(dsn) as c:
                valid = c.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('a_v_idx')"
                                  ).fetchone()
            state = "valid" if valid and valid[0] else "INVALID" if valid else "absent"
            ok = "ok" if r[5] == 0 and state == "valid" else "MISSED"
            rows.append((f"CIC behind a 6 s writer: {how} (index {state})", *r[:6],
                         ok if how == "schemadb" else "(peer)"))
    r = _partitions_under_inserts(server_dsn)
    rows.append(("partitions ensure --ahead 12 under 200 inserts/s", r[0], r[1], r[2], r[3], f"took {r[4]}", r[5],
                 "ok" if int(r[0]) <= 250 and r[3] == 0 else "MISSED"))
    table(rows, ("scenario", "worst ms", "p99 ms", "> 250 ms", "failed", "landed vs blocker end", "exit",
                 "target"))
