"""Lint: schemadb lint beside squawk (squawk-cli, installed by make bench) on the same files, and what the lint
gate adds to migrate.

- a generated 5,000-statement file (target: <= 1.5x squawk), cold (no facts cache) and warm;
- the reference schema's migration files (target: <= 0.3 s);
- a nothing-to-do migrate with and without the gate (target: no added time: nothing pending, nothing linted);
- migrate of N=500 synthetic migrations (the runner benchmark's) with the gate and with --no-lint (target: the
  lint costs less than 10% of the run).
Medians of several runs, alternating.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench_runner import generate

from common import ROOT, fresh_db, median, schemadb_cmd, table, timed

REPEATS = 5

STATEMENTS = [
    "CREATE TABLE public.t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, "
    "amount numeric(12,2) DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());",
    "ALTER TABLE public.t{i} ADD COLUMN note text;",
    "CREATE INDEX t{i}_name_idx ON public.t{i} (name);",
    "ALTER TABLE public.t{i} ADD CONSTRAINT t{i}_amount_check CHECK (amount >= 0) NOT VALID;",
    "COMMENT ON TABLE public.t{i} IS 'table {i}';",
    "INSERT INTO public.t{i} (name) VALUES ('a'), ('b');",
    "UPDATE public.t{i} SET note = upper(name) WHERE id > 0;",
    "CREATE VIEW public.v{i} AS SELECT id, name FROM public.t{i} WHERE amount > 0;",
    "ALTER TABLE public.t{i} ALTER COLUMN note SET DEFAULT '';",
    "GRANT SELECT ON public.t{i} TO PUBLIC;",
]


def big_file(path: Path, n: int = 5000) -> Path:
    lines = [STATEMENTS[k % len(STATEMENTS)].format(i=k // len(STATEMENTS)) for k in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def squawk() -> str | None:
    exe = Path(sys.executable).parent / "squawk"
    return str(exe) if exe.exists() else shutil.which("squawk")


def run(server_dsn: str) -> None:
    sq = squawk()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        f = big_file(tmp / "big.sql")
        refs = sorted(str(p) for p in (ROOT / "migrations").glob("*.sql"))
        cold, warm, sq_big, ref_times, sq_ref = [], [], [], [], []
        for k in range(REPEATS):
            cache = tmp / f"cache{k}"
            env = {"SCHEMADB_CACHE_DIR": str(cache)}
            cold.append(timed(schemadb_cmd("lint", "-q", str(f)), env, check=False))
            warm.append(timed(schemadb_cmd("lint", "-q", str(f)), env, check=False))
            ref_times.append(timed(schemadb_cmd("lint", "-q", *refs), {"SCHEMADB_CACHE_DIR": str(tmp / f"r{k}")},
                                   check=False))
            if sq:
                sq_big.append(timed([sq, str(f)], check=False))
                sq_ref.append(timed([sq, *refs], check=False))
        s_big = median(sq_big) if sq_big else None
        s_ref = median(sq_ref) if sq_ref else None

        def vs(x, y):
            return f"{x / y:.2f}x squawk" if y else "squawk not installed"

        rows += [
            ("5,000-statement file, schemadb lint (cold)", f"{median(cold) * 1000:.0f}", vs(median(cold), s_big),
             "target <= 1.5x squawk"),
            ("5,000-statement file, schemadb lint (facts cached)", f"{median(warm) * 1000:.0f}",
             vs(median(warm), s_big), ""),
            ("5,000-statement file, squawk", f"{s_big * 1000:.0f}" if s_big else "-", "", ""),
            (f"{len(refs)} reference files, schemadb lint (cold)", f"{median(ref_times) * 1000:.0f}",
             vs(median(ref_times), s_ref), "target <= 300 ms"),
            (f"{len(refs)} reference files, squawk", f"{s_ref * 1000:.0f}" if s_ref else "-", "", ""),
        ]
        # the gate: nothing to do, and a run of 500 migrations
        d = generate(tmp / "n500", 500)
        env = {"SCHEMADB_DIR": str(d), "SCHEMADB_CACHE_DIR": str(tmp / "gate-cache")}
        noop_lint, noop_raw, with_lint, without = [], [], [], []
        for _ in range(3):
            with fresh_db(server_dsn) as (dsn, _name):
                e = {**env, "SCHEMADB_DSN": dsn, "SCHEMADB_CACHE_DIR": str(tmp / f"c{len(with_lint)}")}
                with_lint.append(timed(schemadb_cmd("migrate", "-q"), e))
                for _ in range(3):
                    noop_lint.append(timed(schemadb_cmd("migrate", "-q"), e))
                    noop_raw.append(timed(schemadb_cmd("migrate", "-q", "--no-lint"), e))
            with fresh_db(server_dsn) as (dsn, _name):
                e = {**env, "SCHEMADB_DSN": dsn, "SCHEMADB_CACHE_DIR": str(tmp / f"d{len(without)}")}
                without.append(timed(schemadb_cmd("migrate", "-q", "--no-lint"), e))
        share = (median(with_lint) - median(without)) / median(with_lint)
        rows += [
            ("migrate, nothing to do (with the gate)", f"{median(noop_lint) * 1000:.0f}",
             f"{median(noop_lint) / median(noop_raw):.2f}x --no-lint", "target: no added time"),
            ("migrate, nothing to do (--no-lint)", f"{median(noop_raw) * 1000:.0f}", "", ""),
            ("migrate N=500 (fresh db, with the gate)", f"{median(with_lint) * 1000:.0f}",
             f"lint {share * 100:.1f}% of the run", "target < 10%"),
            ("migrate N=500 (fresh db, --no-lint)", f"{median(without) * 1000:.0f}", "", ""),
        ]
    table(rows, ("what", "median ms", "ratio", "target"))
    print(f"\nsquawk: {sq or 'not installed (pip install squawk-cli)'}; server: "
          f"{os.environ.get('SCHEMADB_BENCH_DSN', server_dsn)}")
