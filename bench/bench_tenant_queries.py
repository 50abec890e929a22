"""Common queries under RLS (the application's login) beside the same queries as the owner.

On the benchmark data set, under the membership-checked policies of 0016-0018 and 0030 (functions of 0020).

Each query runs in a tenant transaction as the application runs it: BEGIN, SET LOCAL ROLE app_user (the app login
only), set_config of the tenant settings, the query, COMMIT; through schemadb.app's pool (reset on return by
sql/queries/pool_reset.sql, nothing prepared) for the app login, and through a pool of the same shape for the
owner. The query alone is timed, and the whole transaction. Target: the app login's p95 <= 1.5 x the owner's, and <= 5 ms.
"""

from __future__ import annotations

import random
import statistics
import time

from bench_queries import AGENT_TYPES, agent, project, task
from psycopg import sql
from psycopg_pool import ConnectionPool

from schemadb import app

from common import app_login, table
from dataset import SIZES

USES_DATASET = True
RUNS = 400


def org(i: int) -> str:
    return f"b0000000-0000-4000-8000-{i:012x}"


def owner_user(org_no: int) -> str:
    return f"b1000000-0000-4000-8000-{(org_no - 1) * 10 + 1:012x}"  # the organization's owner (volume.sql)


def _org_of(i: int) -> int:  # agents and projects are spread over the organizations round-robin
    return (i - 1) % SIZES["orgs"] + 1


def _as_agent(i: int) -> dict:
    return {"org_id": org(_org_of(i)), "agent_id": agent(i)}


def _as_owner_of(org_no: int) -> dict:
    return {"org_id": org(org_no), "user_id": owner_user(org_no)}


# (name, SQL, draw(rnd) -> (tenant, params)): the queries of bench_queries, each asked by someone entitled to it
QUERIES = [
    ("next pending task for an agent type (agent runtime)",
     "SELECT id FROM core.tasks WHERE status = 'pending' AND agent_type = %s ORDER BY priority DESC, created_at LIMIT 1",
     lambda r: (_as_agent(r.randint(1, SIZES["agents"])), (r.choice(AGENT_TYPES),))),
    ("an agent's active tasks (agent runtime)",
     "SELECT id, status, priority FROM core.tasks WHERE assigned_agent_id = %s AND status IN ('assigned', 'in_progress')",
     lambda r: (lambda i: (_as_agent(i), (agent(i),)))(r.randint(1, SIZES["agents"]))),
    ("unprocessed messages for an agent (agent runtime)",
     "SELECT id, created_at, message_type FROM core.agent_messages WHERE recipient_agent_id = %s"
     " AND processed_at IS NULL ORDER BY created_at LIMIT 50",
     lambda r: (lambda i: (_as_agent(i), (agent(i),)))(r.randint(1, SIZES["agents"]))),
    ("a project's task counts by status (org owner)",
     "SELECT status, count(*) FROM core.tasks WHERE project_id = %s GROUP BY status",
     lambda r: (lambda j: (_as_owner_of(_org_of(j)), (project(j),)))(r.randint(1, SIZES["projects"]))),
    ("audit trail of one resource (org owner)",
     "SELECT created_at, action, new_values FROM audit.audit_logs WHERE resource_type = 'core.tasks'"
     " AND resource_id = %s ORDER BY created_at DESC LIMIT 50",
     lambda r: (lambda g: (_as_owner_of(g % SIZES["orgs"] + 1), (task(g),)))(r.randint(1, SIZES["tasks"]))),
    ("agent status summary, one organization (org owner)",
     "SELECT * FROM core.agent_status_summary WHERE organization_id = %s",
     lambda r: (lambda k: (_as_owner_of(k), (org(k),)))(r.randint(1, SIZES["orgs"]))),
]


class _OwnerPool:
    """The owner's side: a pool shaped like schemadb.app's (reset on return, nothing prepared), no SET ROLE."""

    def __init__(self, dsn: str):
        self.pool = ConnectionPool(dsn, min_size=1, max_size=1, reset=app._reset, open=True,
                                   kwargs={"prepare_threshold": None})

    def close(self):
        self.pool.close()


def _timed(pool, role: str | None, tenant: dict, q: str, params: tuple) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    with pool.connection() as conn, conn.transaction():
        if role:
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        conn.execute(app._TENANT_SETTINGS, [tenant["org_id"], tenant.get("user_id", ""), tenant.get("agent_id", ""),
                                            "", ""])
        t1 = time.perf_counter()
        n = len(conn.execute(q, params).fetchall())
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    return (t2 - t1) * 1000, (t3 - t0) * 1000, n


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def run(server_dsn: str, dsn: str | None = None) -> None:
    import contextlib
    import os

    from dataset import loaded

    dsn = dsn or os.environ.get("SCHEMADB_BENCH_DATA_DSN")
    with contextlib.ExitStack() as stack:
        if not dsn:
            dsn = stack.enter_context(loaded(server_dsn))
        app_pool = app.create_pool(app_login(dsn), min_size=1, max_size=1)
        owner = _OwnerPool(dsn)
        stack.callback(app_pool.close)
        stack.callback(owner.close)
        rows, worst = [], 0.0
        for name, q, draw in QUERIES:
            rnd = random.Random(11)
            draws = [draw(rnd) for _ in range(RUNS)]
            for t, params in draws[:100]:  # warm both: the working set, the catalog caches
                _timed(owner.pool, None, t, q, params)
                _timed(app_pool, app.DEFAULT_ROLE, t, q, params)
            res = {"owner": ([], [], 0), "app": ([], [], 0)}
            for t, params in draws:  # interleaved, so that noise hits both alike
                for side, pool, role in (("owner", owner.pool, None), ("app", app_pool, app.DEFAULT_ROLE)):
                    qms, txms, n = _timed(pool, role, t, q, params)
                    res[side][0].append(qms)
                    res[side][1].append(txms)
                    res[side] = (res[side][0], res[side][1], res[side][2] + n)
            o95, a95 = _p95(res["owner"][0]), _p95(res["app"][0])
            ratio = a95 / o95 if o95 else float("inf")
            worst = max(worst, ratio)
            ok = "ok" if ratio <= 1.5 and a95 <= 5 else "MISSED"
            rows.append((name, f"{statistics.median(res['owner'][0]):.2f}", f"{o95:.2f}",
                         f"{statistics.median(res['app'][0]):.2f}", f"{a95:.2f}", f"{ratio:.2f}",
                         f"{_p95(res['owner'][1]):.2f}/{_p95(res['app'][1]):.2f}",
                         f"{res['owner'][2] / RUNS:.1f}/{res['app'][2] / RUNS:.1f}", ok))
        table(rows, ("query", "owner p50", "owner p95", "RLS p50", "RLS p95", "p95 ratio", "txn p95 own/RLS",
                     "rows own/RLS", "target"))
        print(f"\nworst p95 ratio {worst:.2f} (target <= 1.5; query time inside the tenant transaction, ms)")
