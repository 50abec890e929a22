"""Common queries of the seeds on a realistic volume: p50/p95 warm, and the plan's top nodes.

1,000 agents, 100 projects, 1,000,000 tasks, 5,000,000 messages, 2,000,000 audit rows over 6 months.
Target: each p95 <= 5 ms warm, with an index (no sequential scan of a large table).
"""

from __future__ import annotations

import random
import statistics
import time

import psycopg

from common import table
from dataset import SIZES, loaded

USES_DATASET = True
AGENT_TYPES = ["team_leader", "research", "codebase_analyzer", "frontend", "backend", "codegen", "testing",
               "documentation", "archon"]


def agent(i: int) -> str:
    return f"b3000000-0000-4000-8000-{i:012x}"


def project(i: int) -> str:
    return f"b2000000-0000-4000-8000-{i:012x}"


def task(i: int) -> str:
    return f"b4000000-0000-4000-8000-{i:012x}"


QUERIES = [
    ("next pending task for an agent type, by priority",
     "SELECT id FROM core.tasks WHERE status = 'pending' AND agent_type = %s ORDER BY priority DESC, created_at LIMIT 1",
     lambda r: (r.choice(AGENT_TYPES),)),
    ("an agent's active tasks",
     "SELECT id, status, priority FROM core.tasks WHERE assigned_agent_id = %s AND status IN ('assigned', 'in_progress')",
     lambda r: (agent(r.randint(1, SIZES["agents"])),)),
    ("unprocessed messages for an agent",
     "SELECT id, created_at, message_type FROM core.agent_messages WHERE recipient_agent_id = %s"
     " AND processed_at IS NULL ORDER BY created_at LIMIT 50",
     lambda r: (agent(r.randint(1, SIZES["agents"])),)),
    ("a project's task counts by status",
     "SELECT status, count(*) FROM core.tasks WHERE project_id = %s GROUP BY status",
     lambda r: (project(r.randint(1, SIZES["projects"])),)),
    ("audit trail of one resource",
     "SELECT created_at, action, new_values FROM audit.audit_logs WHERE resource_type = 'core.tasks'"
     " AND resource_id = %s ORDER BY created_at DESC LIMIT 50",
     lambda r: (task(r.randint(1, SIZES["tasks"])),)),
    ("agent status summary (one agent)",
     "SELECT * FROM core.agent_status_summary WHERE agent_id = %s",
     lambda r: (agent(r.randint(1, SIZES["agents"])),)),
    ("agent status summary (one organization, 100 agents)",
     "SELECT * FROM core.agent_status_summary WHERE organization_id = %s",
     lambda r: (f"b0000000-0000-4000-8000-{r.randint(1, SIZES['orgs']):012x}",)),
]

def warm_params(params, rnd: random.Random) -> list[tuple]:
    """Every value of a small parameter space (agents, projects, types, organizations); else 300 draws."""
    seen: dict[tuple, None] = {}
    for _ in range(20_000):
        seen.setdefault(params(rnd), None)
        if len(seen) > SIZES["agents"]:
            break
    return list(seen) if len(seen) <= SIZES["agents"] else list(seen)[:300]


def seq_scans_of_large_tables(conn, q, params) -> list[str]:
    """Relations read by a Seq Scan in the plan that hold more than 10,000 rows."""
    plan = conn.execute("EXPLAIN (FORMAT JSON, VERBOSE) " + q, params).fetchone()[0][0]["Plan"]
    found, stack = [], [plan]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if node["Node Type"] == "Seq Scan":
            rows = conn.execute("SELECT reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = %s AND c.relname = %s",
                                (node.get("Schema"), node["Relation Name"])).fetchone()[0]
            if rows > 10_000:
                found.append(f"{node.get('Schema')}.{node['Relation Name']}")
    return found


def run(server_dsn: str, dsn: str | None = None) -> None:
    """Load the data set in a fresh database, or use `dsn` (SCHEMADB_BENCH_DATA_DSN) already loaded."""
    import contextlib
    import os

    dsn = dsn or os.environ.get("SCHEMADB_BENCH_DATA_DSN")
    rnd = random.Random(7)
    rows = []
    ctx = contextlib.nullcontext(dsn) if dsn else loaded(server_dsn)
    with ctx as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        for name, q, params in QUERIES:
            # warm: the prepared plan, and the working set of every parameter the timed loop may draw
            for p in warm_params(params, rnd):
                conn.execute(q, p, prepare=True).fetchall()
            times = []
            for _ in range(300):
                p = params(rnd)
                t = time.perf_counter()
                conn.execute(q, p, prepare=True).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            p = params(rnd)
            plan = [r[0] for r in conn.execute("EXPLAIN (COSTS OFF) " + q, p).fetchall()]
            seq = seq_scans_of_large_tables(conn, q, p)
            top = " / ".join(ln.strip().lstrip("-> ").strip() for ln in plan[:3])
            p95 = statistics.quantiles(times, n=20)[18]
            verdict = "ok" if p95 <= 5 and not seq else "MISSED" + (f" (seq scan: {', '.join(seq)})" if seq else "")
            rows.append((name, f"{statistics.median(times):.2f}", f"{p95:.2f}", verdict, top[:100]))
    table(rows, ("query", "p50 ms", "p95 ms", "target", "plan (top nodes)"))
