"""Run every benchmark under bench/ (make bench). Each prints its own table.

The server: SCHEMADB_BENCH_DSN, else SCHEMADB_TEST_DSN, else the local default; when none answers,
a throwaway server is started under .schemadb/bench.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def server_dsn() -> str:
    dsn = os.environ.get("SCHEMADB_BENCH_DSN") or os.environ.get(
        "SCHEMADB_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
        return dsn
    except psycopg.Error:
        from schemadb import _localpg

        return _localpg.start(HERE.parent / ".schemadb" / "bench")


def main(argv: list[str]) -> int:
    import contextlib

    dsn = server_dsn()
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    mods = [importlib.import_module(n if n.startswith("bench_") else f"bench_{n}") for n in names]
    # the benchmarks that use the large data set share one load (SCHEMADB_BENCH_DATA_DSN: already loaded)
    shared = [m for m in mods if getattr(m, "USES_DATASET", False)]
    with contextlib.ExitStack() as stack:
        data_dsn = os.environ.get("SCHEMADB_BENCH_DATA_DSN")
        if shared and not data_dsn:
            from dataset import loaded

            data_dsn = stack.enter_context(loaded(dsn))
        for mod in mods:
            print(f"\n## {mod.__doc__.strip().splitlines()[0]}\n")
            if mod in shared:
                mod.run(dsn, dsn=data_dsn)
            else:
                mod.run(dsn)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
