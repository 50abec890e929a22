"""`schemadb partitions ensure|check|list`: monthly partitions of every range-partitioned table.

The tables come from the catalogue (sql/queries/partitioned_tables.sql), never from a list. The
naming lives in one SQL function (core.monthly_partition_name, names that always fit in 63 bytes), the
creation in core.create_monthly_partition (which moves rows that landed in the default partition into
the new month, in the same transaction), and a month counts as present when a partition's bounds
cover it (core.partition_months), whatever the partition is called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import clock, locks
from .config import Settings, split_table_name
from .errors import ConfigError, ValidationError
from .resources import read_sql

CREATE_FUNCTION = "core.create_monthly_partition(regclass,date)"
MONTHS_FUNCTION = "core.partition_months(regclass)"


@dataclass
class TableReport:
    table: str
    created: list[str] = field(default_factory=list)
    moved_rows: int = 0
    existing: int = 0
    problems: list[str] = field(default_factory=list)
    partitions: list[dict] = field(default_factory=list)
    default_rows: int = 0
    next_month_missing: bool = False

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class PartitionsResult:
    command: str  # ensure | check | list
    now: str
    months: list[str]
    tables: list[TableReport]
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(len(t.created) for t in self.tables)

    @property
    def problems(self) -> list[str]:
        return [p for t in self.tables for p in t.problems]

    @property
    def changed(self) -> bool:
        return self.created > 0 and not self.dry_run

    def to_json(self) -> dict:
        return {"command": f"partitions {self.command}", "now": self.now, "months": self.months,
                "dry_run": self.dry_run, "created": self.created, "problems": self.problems,
                "tables": [t.to_json() for t in self.tables]}


def parents(conn: psycopg.Connection, table: str | None) -> list[dict]:
    schema, name = split_table_name(table) if table else (None, None)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(read_sql("queries", "partitioned_tables.sql"), {"schema": schema, "table": name}).fetchall()
    if table and not rows:
        raise ConfigError(f"{table}: not a range-partitioned table of the live schemas")
    return rows


def children(conn: psycopg.Connection, parent: str) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(read_sql("queries", "partitions_of.sql"), {"parent": parent}).fetchall()


def covered_months(conn: psycopg.Connection, parent: str) -> set[dt.date]:
    """The months that have a partition, found by their bounds (whatever the partitions are called)."""
    rows = conn.execute("SELECT month FROM core.partition_months(%s::regclass) WHERE month IS NOT NULL",
                        (parent,)).fetchall()
    return {r[0] for r in rows}


def _require_function(conn: psycopg.Connection) -> None:
    missing = conn.execute("SELECT to_regprocedure(%s) IS NULL OR to_regprocedure(%s) IS NULL",
                           (CREATE_FUNCTION, MONTHS_FUNCTION)).fetchone()[0]
    if missing:
        raise ValidationError(f"{CREATE_FUNCTION} or {MONTHS_FUNCTION} is missing: migrate the reference schema "
                              "first (schemadb migrate)")


def _month_range(month: dt.date) -> tuple[str, str]:
    nxt = clock.add_months(month, 1)
    return f"{month.isoformat()} 00:00:00+00", f"{nxt.isoformat()} 00:00:00+00"


def _rows_in_default(conn: psycopg.Connection, p: dict, month: dt.date) -> int:
    if not p["default_partition"]:
        return 0
    lo, hi = _month_range(month)
    q = sql.SQL("SELECT count(*) FROM {d} WHERE {k} >= %s::timestamptz AND {k} < %s::timestamptz").format(
        d=sql.Identifier(p["default_schema"], p["default_name"]), k=sql.Identifier(p["key_column"]))
    return conn.execute(q, (lo, hi)).fetchone()[0]


def ensure(conn: psycopg.Connection, settings: Settings, ahead: int = 3, behind: int = 0, table: str | None = None,
           dry_run: bool = False, emit=None) -> PartitionsResult:
    if ahead < 0 or behind < 0:
        raise ConfigError("--ahead and --behind must be 0 or more")
    _require_function(conn)
    now = clock.now()
    months = clock.months_around(now, behind, ahead)
    result = PartitionsResult("ensure", now.isoformat(), [m.isoformat()[:7] for m in months], [], dry_run)
    tables = parents(conn, table)
    retry = locks.from_settings(settings, emit, command="partitions ensure")
    try:
        for i, p in enumerate(tables, 1):
            _ensure_table(conn, retry, p, months, result, dry_run, emit, i, len(tables))
    finally:
        retry.close()
    return result


def _ensure_table(conn, retry, p: dict, months, result: PartitionsResult, dry_run: bool, emit, i: int,
                  total: int) -> None:
    report = TableReport(p["parent"])
    have = covered_months(conn, p["parent"])
    for month in months:
        if month in have:
            report.existing += 1
            continue
        if dry_run:
            report.moved_rows += _rows_in_default(conn, p, month)
            name = conn.execute("SELECT core.monthly_partition_name(%s::regclass, %s)", (p["parent"], month)
                                ).fetchone()[0]
            report.created.append(name)
            continue

        def create(p=p, month=month):
            moved = _rows_in_default(conn, p, month)
            oid = conn.execute("SELECT core.create_monthly_partition(%s::regclass, %s)::oid",
                               (p["parent"], month)).fetchone()[0]
            made = conn.execute("SELECT relname FROM pg_class WHERE oid = %s", (oid,)).fetchone()[0]
            return moved, made

        moved, made = locks.in_transaction(conn, retry, create, f"create the {month:%Y-%m} partition of {p['parent']}")
        report.moved_rows += moved
        report.created.append(made)
    result.tables.append(report)
    if emit:
        emit("table_done", index=i, total=total, report=report, dry_run=dry_run)


def check(conn: psycopg.Connection, min_ahead: int = 1, table: str | None = None) -> PartitionsResult:
    _require_function(conn)
    now = clock.now()
    months = clock.months_around(now, 0, min_ahead)
    result = PartitionsResult("check", now.isoformat(), [m.isoformat()[:7] for m in months], [])
    for p in parents(conn, table):
        report = TableReport(p["parent"])
        have = covered_months(conn, p["parent"])
        for month in months:
            if month not in have:
                report.problems.append(f"{p['parent']}: no partition for {month:%Y-%m}")
        if p["default_partition"]:
            q = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(p["default_schema"], p["default_name"]))
            report.default_rows = conn.execute(q).fetchone()[0]
            if report.default_rows:
                report.problems.append(f"{p['default_partition']}: the default partition holds {report.default_rows} "
                                       "row(s) (schemadb partitions ensure --behind N moves them)")
        result.tables.append(report)
    return result


def listing(conn: psycopg.Connection, table: str | None = None) -> PartitionsResult:
    _require_function(conn)
    now = clock.now()
    nxt = clock.add_months(clock.month_start(now), 1)
    result = PartitionsResult("list", now.isoformat(), [nxt.isoformat()[:7]], [])
    for p in parents(conn, table):
        report = TableReport(p["parent"])
        for c in children(conn, p["parent"]):
            report.partitions.append({"partition": c["partition"], "bounds": c["bounds"],
                                      "estimated_rows": c["estimated_rows"], "bytes": c["bytes"]})
            if c["is_default"]:
                report.default_rows = c["estimated_rows"]
        report.next_month_missing = nxt not in covered_months(conn, p["parent"])
        result.tables.append(report)
    return result
