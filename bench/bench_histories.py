"""Long and real-shaped histories: nothing-to-do migrate/status, the first migration's start, validate at
5,000 files, and a 20 MB data file, against the floors measured in the same run.

- floor: `python -c "import psycopg, click"` (any Python command that talks to PostgreSQL pays it);
  targets: nothing-to-do migrate and status within 1.5x the floor at 350 files, 2x at 5,000;
  validate --files-only <= 1 s at 5,000; the first migration starts within 0.3 s of the command.
- a 22 MB file of INSERTs: schemadb migrate against `psql -1 -f` (target <= 1.3x), and the peak memory
  beyond the file itself (target <= ~100 MB).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from common import fresh_db, median, schemadb_cmd, table, timed

REAL_SHAPES = [
    # (migration, rollback) templates of the kinds of files real histories hold
    ("CREATE TABLE {t} (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n"
     "CREATE INDEX {t}_name_idx ON {t} (name);\n", "DROP TABLE {t};\n"),
    ("ALTER TABLE {prev} ADD COLUMN {c} text;\nCOMMENT ON COLUMN {prev}.{c} IS 'added later';\n",
     "ALTER TABLE {prev} DROP COLUMN {c};\n"),
    ("-- This file was automatically created by Diesel to set up helper functions\n", "-- nothing to undo\n"),
    ("CREATE OR REPLACE FUNCTION {t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
     "    NEW.updated_at := now();\n    RETURN NEW;\nEND $$;\n", "DROP FUNCTION {t}_touch();\n"),
    ("CREATE TABLE {t} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner bigint, payload jsonb NOT NULL "
     "DEFAULT '{{}}');\nCREATE INDEX {t}_payload ON {t} USING gin (payload);\n", "DROP TABLE {t};\n"),
    ("INSERT INTO {prev} (name) VALUES ('seed a'), ('seed b');\n", "DELETE FROM {prev} WHERE name LIKE 'seed %';\n"),
]


def real_shaped(root: Path, n: int) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "rollback").mkdir()
    rnd = random.Random(n)
    prev = None
    for i in range(1, n + 1):
        up, down = REAL_SHAPES[0] if prev is None else rnd.choice(REAL_SHAPES)
        t = f"t{i:05d}"
        if up.startswith("CREATE TABLE {t} (id bigserial"):
            prev_new = t
        else:
            prev_new = prev
        values = {"t": t, "prev": prev or t, "c": f"c{i}"}
        (root / "migrations" / f"{i:05d}_step_{i}.sql").write_text(up.format(**values))
        (root / "rollback" / f"{i:05d}_step_{i}.sql").write_text(down.format(**values))
        prev = prev_new
    return root


def data_file(root: Path, megabytes: int = 22) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "rollback").mkdir()
    rnd = random.Random(1)
    parts = ["CREATE TABLE public.items (id bigint PRIMARY KEY, name text NOT NULL, note text, price numeric(10,2));"]
    size, i = 0, 0
    while size < megabytes * 1_000_000:
        i += 1
        row = sql.SQL("INSERT INTO public.items (id, name, note, price) VALUES ({}, {}, {}, {});").format(
            i, f"item {i}", f"a note; with semicolons and 'quotes' {rnd.random()}", rnd.randint(1, 99999) / 100
        ).as_string(None)
        parts.append(row)
        size += len(row) + 1
    (root / "migrations/0001_load_items.sql").write_text("\n".join(parts) + "\n")
    (root / "rollback/0001_load_items.sql").write_text("DROP TABLE public.items;\n")
    return root


def max_rss_kb(cmd: list[str], env: dict) -> tuple[float, int]:
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env={**os.environ, **env}, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-400:]}")
    return elapsed, int(p.stderr.strip().splitlines()[-1])


def first_start(dsn: str, d: Path) -> float:
    """Seconds from launching `schemadb migrate` to the moment the server starts the first file."""
    (d / "migrations/00000_clock.sql").write_text("CREATE TABLE public.first_clock AS SELECT clock_timestamp() AS at;\n")
    (d / "rollback/00000_clock.sql").write_text("DROP TABLE public.first_clock;\n")
    try:
        launched = time.time()
        subprocess.run(schemadb_cmd("migrate", "-q"), env={**os.environ, "SCHEMADB_DSN": dsn, "SCHEMADB_DIR": str(d)},
                       check=True)
        with psycopg.connect(dsn) as c:
            at = c.execute("SELECT extract(epoch FROM at) FROM public.first_clock").fetchone()[0]
        return float(at) - launched
    finally:
        (d / "migrations/00000_clock.sql").unlink()
        (d / "rollback/00000_clock.sql").unlink()


def run(server_dsn: str) -> None:
    rows = []
    floor = median([timed([sys.executable, "-c", "import psycopg, click"]) for _ in range(9)])
    rows.append(("-", "floor: python -c 'import psycopg, click'", f"{floor * 1000:.0f}", "1.00", ""))
    with tempfile.TemporaryDirectory() as tmp:
        for n, ratio in ((350, 1.5), (5000, 2.0)):
            d = real_shaped(Path(tmp) / f"h{n}", n)
            with fresh_db(server_dsn, "bench_hist") as (dsn, _):
                env = {"SCHEMADB_DSN": dsn, "SCHEMADB_DIR": str(d)}
                if n == 350:
                    starts = []
                    for _ in range(3):
                        with fresh_db(server_dsn, "bench_first") as (dsn2, _n):
                            starts.append(first_start(dsn2, d))
                    rows.append((n, "first migration starts after (fresh database)", f"{median(starts) * 1000:.0f}",
                                 "", "target <= 300 ms"))
                timed(schemadb_cmd("migrate", "-q"), env)
                noop = median([timed(schemadb_cmd("migrate", "-q"), env) for _ in range(7)])
                status = median([timed(schemadb_cmd("status"), env) for _ in range(7)])
                validate = median([timed(schemadb_cmd("validate", "--files-only", "-q"), env) for _ in range(5)])
            rows.append((n, "migrate (nothing to do)", f"{noop * 1000:.0f}", f"{noop / floor:.2f}",
                         f"target <= {ratio}x the floor"))
            rows.append((n, "status", f"{status * 1000:.0f}", f"{status / floor:.2f}", f"target <= {ratio}x the floor"))
            rows.append((n, "validate --files-only (cached)", f"{validate * 1000:.0f}", f"{validate / floor:.2f}",
                         "target <= 1000 ms at 5,000" if n == 5000 else ""))
        d = data_file(Path(tmp) / "data")
        size = (d / "migrations/0001_load_items.sql").stat().st_size
        psql, ours, rss = [], [], []
        for _ in range(3):
            with fresh_db(server_dsn, "bench_data_a") as (dsn, _):
                psql.append(timed(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f",
                                   str(d / "migrations/0001_load_items.sql")]))
            with fresh_db(server_dsn, "bench_data_b") as (dsn, _):
                t, kb = max_rss_kb(schemadb_cmd("migrate", "-q"), {"SCHEMADB_DSN": dsn, "SCHEMADB_DIR": str(d),
                                                                   "SCHEMADB_CACHE_DIR": "off"})
                ours.append(t)
                rss.append(kb)
        baseline = max_rss_kb([sys.executable, "-c", "import psycopg, click, pglast"], {})[1]
        rows.append(("22 MB", "floor: psql -1 -f", f"{median(psql) * 1000:.0f}", "1.00", ""))
        rows.append(("22 MB", "schemadb migrate (one file of INSERTs)", f"{median(ours) * 1000:.0f}",
                     f"{median(ours) / median(psql):.2f}",
                     f"target <= 1.3x; peak {max(rss) / 1024:.0f} MB, {(max(rss) - baseline) / 1024 - size / 2**20:.0f} MB "
                     f"beyond the interpreter and the file (target <= ~100 MB)"))
    table(rows, ("N", "what", "median ms", "x floor", "note"))
