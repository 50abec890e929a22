"""Runner: migrate / nothing-to-do / rollback --all / --help against the `psql -1 -f` floor.

N synthetic migrations (each: a table with a jsonb column, three indexes including a partial and a
GIN one, a trigger function and its trigger) are timed on the same server in the same run,
alternating, each on a fresh database (database creation not counted).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from common import fresh_db, median, schemadb_cmd, table, timed, timed_cpu

REPEATS = {100: 5, 500: 3}


def generate(root: Path, n: int) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "rollback").mkdir()
    parts = []
    for i in range(1, n + 1):
        t = f"bench_t{i:04d}"
        up = (
            f"CREATE TABLE public.{t} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"    name text NOT NULL,\n    status text NOT NULL DEFAULT 'new',\n"
            f"    payload jsonb NOT NULL DEFAULT '{{}}',\n    updated_at timestamptz NOT NULL DEFAULT now()\n);\n"
            f"CREATE INDEX idx_{t}_name ON public.{t} (name);\n"
            f"CREATE INDEX idx_{t}_open ON public.{t} (updated_at) WHERE status <> 'done';\n"
            f"CREATE INDEX idx_{t}_payload ON public.{t} USING gin (payload jsonb_path_ops);\n"
            f"CREATE FUNCTION public.{t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND $$;\n"
            f"CREATE TRIGGER trg_{t}_touch BEFORE UPDATE ON public.{t}\n"
            f"    FOR EACH ROW EXECUTE FUNCTION public.{t}_touch();\n"
        )
        down = f"DROP TABLE public.{t};\nDROP FUNCTION public.{t}_touch();\n"
        (root / "migrations" / f"{i:04d}_create_{t}.sql").write_text(up)
        (root / "rollback" / f"{i:04d}_create_{t}.sql").write_text(down)
        parts.append(up)
    (root / "all.sql").write_text("".join(parts))
    return root


def run(server_dsn: str) -> None:
    rows = []
    help_times = [timed(schemadb_cmd("--help")) for _ in range(7)]
    for n, repeats in REPEATS.items():
        with tempfile.TemporaryDirectory() as tmp:
            d = generate(Path(tmp), n)
            env = {"SCHEMADB_DIR": str(d)}
            floor, mig, noop, rb, cpu, startup = [], [], [], [], [], []
            for _ in range(repeats):
                with fresh_db(server_dsn) as (dsn, _name):
                    floor.append(timed(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f",
                                        str(d / "all.sql")]))
                with fresh_db(server_dsn) as (dsn, _name):
                    e = {**env, "SCHEMADB_DSN": dsn}
                    wall, used = timed_cpu(schemadb_cmd("migrate", "-q"), e)
                    mig.append(wall)
                    cpu.append(used)
                    samples = [timed_cpu(schemadb_cmd("migrate", "-q"), e) for _ in range(5)]  # cheap: sample more
                    noop += [w for w, _c in samples]
                    startup.append(median([c for _w, c in samples]))  # imports, connection, scan: paid once
                    rb.append(timed(schemadb_cmd("rollback", "--all", "--yes", "-q"), e))
            f = median(floor)
            rows += [
                (n, "floor: psql -1 -f (all files)", f"{f * 1000:.0f}", "1.00", ""),
                (n, "schemadb migrate (fresh db)", f"{median(mig) * 1000:.0f}", f"{median(mig) / f:.2f}",
                 f"{(median(mig) - f) / n * 1000:.2f} ms/migration over the floor; client CPU "
                 f"{(median(cpu) - median(startup)) / n * 1000:.2f} ms/migration (targets <= 1.10x, <= 1.5 ms)"),
                (n, "schemadb migrate (nothing to do)", f"{median(noop) * 1000:.0f}", f"{median(noop) / f:.2f}",
                 "target <= 200 ms"),
                (n, "schemadb rollback --all", f"{median(rb) * 1000:.0f}", f"{median(rb) / f:.2f}",
                 "target ahead of yoyo (8x) at N=100"),
            ]
    rows.append(("-", "schemadb --help", f"{median(help_times) * 1000:.0f}", "", "target <= 100 ms"))
    table(rows, ("N", "what", "median ms", "x floor", "note"))
    print(f"\nserver: {os.environ.get('SCHEMADB_BENCH_DSN', server_dsn)}; medians of {REPEATS} runs")
