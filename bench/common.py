"""Helpers shared by the benchmarks: fresh databases, timing, medians and tables."""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def fresh_db(server_dsn: str, prefix: str = "bench"):
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(server_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server_dsn, dbname=name), name
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def timed(cmd: list[str], env: dict | None = None, check: bool = True) -> float:
    return timed_cpu(cmd, env, check)[0]


def timed_cpu(cmd: list[str], env: dict | None = None, check: bool = True) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command: user + system) of one run."""
    import resource

    full = {**os.environ, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def schemadb_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "schemadb"
    return [str(exe), *args]


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def table(rows: list[tuple], header: tuple) -> None:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(str(h).ljust(widths[i]) for i, h in enumerate(header)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)))


def app_login(dsn: str, login: str = "schemadb_bench_app", password: str = "bench") -> str:
    """The DSN of an application login (IN ROLE app_user, owning nothing) on the database of `dsn`, created once:
    what schemadb.app.create_pool() accepts."""
    from psycopg.conninfo import conninfo_to_dict

    with psycopg.connect(dsn, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
            c.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE app_user").format(
                sql.Identifier(login), sql.Literal(password)))
    p = conninfo_to_dict(dsn)
    p.update(user=login, password=password)
    return make_conninfo(**p)
