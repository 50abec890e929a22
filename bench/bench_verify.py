"""verify on long histories: a generated history of N migrations that grows a schema to N tables (each with
indexes, a trigger function and its trigger), verify against migrate of the same files, at N and 2N.

Targets: verify <= 4x migrate at N=300, and doubling the history at most doubles the verify time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench_runner import generate

from common import fresh_db, median, schemadb_cmd, table, timed

SIZES = (300, 600)


def run(server_dsn: str) -> None:
    rows, verify_times = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            d = generate(Path(tmp) / f"h{n}", n)
            env = {"SCHEMADB_DIR": str(d)}
            mig, ver = [], []
            for _ in range(2):
                with fresh_db(server_dsn, "bench_verify") as (dsn, _):
                    mig.append(timed(schemadb_cmd("migrate", "-q"), {**env, "SCHEMADB_DSN": dsn}))
                with fresh_db(server_dsn, "bench_verify") as (dsn, _):
                    ver.append(timed(schemadb_cmd("verify", "-q"), {**env, "SCHEMADB_DSN": dsn}))
            m, v = median(mig), median(ver)
            verify_times[n] = v
            rows.append((n, "schemadb migrate (fresh db)", f"{m:.1f}", ""))
            rows.append((n, "schemadb verify", f"{v:.1f}", f"{v / m:.2f}x migrate (target <= 4x)"))
    a, b = SIZES
    rows.append((f"{a}->{b}", "verify time ratio when the history doubles",
                 f"{verify_times[b] / verify_times[a]:.2f}", "target <= 2.0 (linear)"))
    table(rows, ("N", "what", "median s", "note"))
