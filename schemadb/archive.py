"""`schemadb archive`: apply config.data_retention_policies (map §3.3).

Per active policy, with cutoff = now - retention_days:
1. partitioned source keyed on the policy's time column: each month partition wholly older than the cutoff
   is detached and moved to archive.<table> (archive) or dropped (delete): metadata only, constant time.
   Rows of tables referencing it (message_queue) go first; the FK copies left on it are dropped.
2. rows older than the cutoff in the default partition, or in a plain table: moved (or deleted) in batches,
   one transaction per batch (DELETE … RETURNING feeding the INSERT), so a kill loses and duplicates nothing.
3. purge (archive and delete both set): archive partitions older than archive_retention_days are dropped.
4. last_run_at, last_run_rows and last_error are recorded on the policy row.
Every step runs with lock_timeout and retries, so writers are never blocked longer than that.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import clock, locks
from .config import Settings, split_table_name
from .errors import ConfigError, LockRetryExhausted, ValidationError
from .resources import read_sql


class PolicyError(Exception):
    """This policy cannot run (missing table, columns that differ, a restricting FK…)."""


@dataclass
class PolicyReport:
    table: str
    action: str  # archive | delete | archive+purge
    cutoff: str
    partitions: list[str] = field(default_factory=list)
    partition_rows: int = 0  # estimated (pg_class.reltuples): counting would not be constant time
    rows: int = 0  # moved or deleted in batches (exact)
    rows_pending: int = 0  # dry run: rows the batches would move
    purged: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.partitions or self.rows or self.purged)

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ArchiveResult:
    now: str
    dry_run: bool
    policies: list[PolicyReport] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return not self.dry_run and any(p.changed for p in self.policies)

    @property
    def errors(self) -> list[str]:
        return [f"{p.table}: {p.error}" for p in self.policies if p.error]

    def to_json(self) -> dict:
        return {"command": "archive", "now": self.now, "dry_run": self.dry_run, "errors": self.errors,
                "policies": [p.to_json() for p in self.policies]}


class Rel(NamedTuple):
    """A relation as (schema, name): an Identifier for SQL, a quoted name for ::regclass parameters."""

    schema: str
    name: str

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    @property
    def reg(self) -> str:
        return self.ident.as_string(None)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def _existing(conn: psycopg.Connection, schema: str, table: str) -> Rel | None:
    rel = Rel(schema, table)
    return rel if conn.execute("SELECT to_regclass(%s) IS NOT NULL", (rel.reg,)).fetchone()[0] else None


def _rows(conn, query: str, **params) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(read_sql("queries", query), params).fetchall()


def archive(conn: psycopg.Connection, settings: Settings, table: str | None = None, dry_run: bool = False,
            batch_size: int | None = None, emit=None) -> ArchiveResult:
    if conn.execute("SELECT to_regclass('config.data_retention_policies') IS NULL").fetchone()[0]:
        raise ValidationError("config.data_retention_policies is missing: migrate the reference schema first")
    if batch_size is not None and batch_size < 1:
        raise ConfigError("--batch-size must be 1 or more")
    schema, name = split_table_name(table) if table else (None, None)
    policies = _rows(conn, "retention_policies.sql", schema=schema, table=name)
    if table and not policies:
        raise ConfigError(f"{table}: no active retention policy")
    now = clock.now()
    result = ArchiveResult(now.isoformat(), dry_run)
    retry = locks.from_settings(settings, emit, command="archive")
    try:
        for p in policies:
            _policy(conn, p, now, result, retry, dry_run, batch_size, emit)
    finally:
        retry.close()
    return result


def _policy(conn, p: dict, now, result: ArchiveResult, retry, dry_run: bool,
            batch_size: int | None, emit) -> None:
    """One retention policy: its report, and its outcome recorded on the policy row."""
    report = PolicyReport(f"{p['schema_name']}.{p['table_name']}",
                          "delete" if not p["archive_enabled"] else
                          ("archive+purge" if p["delete_enabled"] else "archive"),
                          (now - dt.timedelta(days=p["retention_days"])).isoformat())
    started = time.monotonic()
    try:
        _apply(conn, retry, p, now, report, dry_run, batch_size or p["batch_size"], emit)
    except (PolicyError, psycopg.Error, LockRetryExhausted) as e:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        report.error = " ".join(str(e).split())
    report.seconds = round(time.monotonic() - started, 3)
    if not dry_run:
        _record(conn, p["id"], report)
    result.policies.append(report)
    if emit:
        emit("policy_done", report=report, dry_run=dry_run)


def _record(conn: psycopg.Connection, policy_id, report: PolicyReport) -> None:
    conn.execute("UPDATE config.data_retention_policies SET last_run_at = now(), last_run_rows = %s, last_error = %s"
                 " WHERE id = %s", (report.rows + report.partition_rows, report.error, policy_id))


def _apply(conn, retry, p: dict, now: dt.datetime, report: PolicyReport, dry_run: bool,
           batch_size: int, emit) -> None:
    src = _existing(conn, p["schema_name"], p["table_name"])
    if src is None:
        raise PolicyError("the table does not exist; policy skipped")
    dst = None
    if p["archive_enabled"]:
        dst = _existing(conn, "archive", p["table_name"])
        if dst is None:
            raise PolicyError(f"archive.{p['table_name']} does not exist")
        _check_columns(conn, src, dst)
    cutoff = now - dt.timedelta(days=p["retention_days"])
    kind, key, default_schema, default_name = conn.execute(
        "SELECT c.relkind::text, (SELECT a.attname FROM pg_partitioned_table pt JOIN pg_attribute a"
        " ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0] WHERE pt.partrelid = c.oid),"
        " n.nspname, d.relname"
        " FROM pg_class c LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid"
        " LEFT JOIN pg_class d ON d.oid = pt.partdefid LEFT JOIN pg_namespace n ON n.oid = d.relnamespace"
        " WHERE c.oid = %s::regclass", (src.reg,)).fetchone()
    by_partition = kind == "p" and key == p["time_column"]
    if by_partition:
        _move_partitions(conn, retry, src, dst, p, cutoff, report, dry_run)
        target = Rel(default_schema, default_name) if default_name else None
    else:
        target = src
    if target is not None:
        _move_rows(conn, retry, target, dst, p, cutoff, report, dry_run, batch_size, emit)
    if p["archive_enabled"] and p["delete_enabled"] and p["archive_retention_days"]:
        _purge(conn, retry, dst, p, now - dt.timedelta(days=p["archive_retention_days"]), report, dry_run,
               batch_size)


def _check_columns(conn, src: Rel, dst: Rel) -> None:
    a = [(c["name"], c["type"]) for c in _rows(conn, "table_columns.sql", table=src.reg)]
    b = [(c["name"], c["type"]) for c in _rows(conn, "table_columns.sql", table=dst.reg)]
    if a != b:
        raise PolicyError(f"the columns of {src} and {dst} differ (a migration changed one and not the other); "
                          "nothing was moved")


def _move_partitions(conn, retry, src: Rel, dst: Rel | None, p: dict, cutoff, report: PolicyReport,
                     dry_run: bool) -> None:
    src_id = src.ident
    for part in _rows(conn, "expired_partitions.sql", parent=src.reg, cutoff=cutoff):
        part_id = sql.Identifier(part["schema_name"], part["name"])
        label = f"{part['schema_name']}.{part['name']}"
        if dry_run:
            report.partitions.append(label)
            report.partition_rows += part["estimated_rows"]
            continue
        if dst is not None and _existing(conn, "archive", part["name"]) is not None:
            raise PolicyError(f"archive.{part['name']} already exists; {label} left in place")

        def work(part=part, part_id=part_id):
            for fk in _rows(conn, "referencing_fks.sql", parent=src.reg):
                if fk["on_delete"] != "c":
                    raise PolicyError(f"{fk['referencing']} references {src} without ON DELETE CASCADE; "
                                      f"{part['name']} cannot be detached")
                conn.execute(sql.SQL("DELETE FROM {ref} WHERE ({cols}) IN (SELECT {keys} FROM {part})").format(
                    ref=sql.Identifier(fk["schema_name"], fk["table_name"]),
                    cols=sql.SQL(", ").join(map(sql.Identifier, fk["columns"])),
                    keys=sql.SQL(", ").join(map(sql.Identifier, fk["referenced"])), part=part_id))
            conn.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(src_id, part_id))
            if dst is None:
                conn.execute(sql.SQL("DROP TABLE {}").format(part_id))
                return
            for (conname,) in conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass"
                                           " AND contype = 'f'", (part_id.as_string(conn),)).fetchall():
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(part_id, sql.Identifier(conname)))
            conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA archive").format(part_id))
            conn.execute(sql.SQL("ALTER TABLE {dst} ATTACH PARTITION {part} FOR VALUES FROM ({lo}) TO ({hi})").format(
                dst=dst.ident, part=sql.Identifier("archive", part["name"]),
                lo=sql.Literal(part["lower_bound"].isoformat()), hi=sql.Literal(part["upper_bound"].isoformat())))

        locks.in_transaction(conn, retry, work, f"archive {label}")
        report.partitions.append(label)
        report.partition_rows += part["estimated_rows"]


def _move_rows(conn, retry, target: Rel, dst: Rel | None, p: dict, cutoff, report: PolicyReport, dry_run: bool,
               batch_size: int, emit) -> None:
    target_id, tcol = target.ident, sql.Identifier(p["time_column"])
    total = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {} < %s").format(target_id, tcol),
                         (cutoff,)).fetchone()[0]
    if dry_run:
        report.rows_pending = total
        return
    if total == 0:
        return
    pick = sql.SQL("ctid = ANY (ARRAY(SELECT ctid FROM {t} WHERE {c} < %s LIMIT %s))").format(t=target_id, c=tcol)
    if dst is None:
        stmt = sql.SQL("DELETE FROM {t} WHERE {pick}").format(t=target_id, pick=pick)
    else:
        if conn.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", (dst.reg,)).fetchone()[0]:
            months = conn.execute(
                sql.SQL("SELECT DISTINCT date_trunc('month', {c} AT TIME ZONE 'UTC')::date FROM {t} WHERE {c} < %s")
                .format(c=tcol, t=target_id), (cutoff,)).fetchall()
            for (month,) in months:
                locks.in_transaction(conn, retry, lambda m=month: conn.execute(
                    "SELECT core.create_monthly_partition(%s::regclass, %s)", (dst.reg, m)), f"create {dst} {month}")
        cols = sql.SQL(", ").join(sql.Identifier(c["name"]) for c in _rows(conn, "table_columns.sql", table=dst.reg)
                                  if not c["generated"])
        stmt = sql.SQL("WITH moved AS (DELETE FROM {t} WHERE {pick} RETURNING {cols}) "
                       "INSERT INTO {dst} ({cols}) SELECT {cols} FROM moved").format(
            t=target_id, pick=pick, cols=cols, dst=dst.ident)
    started = time.monotonic()
    while True:
        n = locks.in_transaction(conn, retry, lambda: conn.execute(stmt, (cutoff, batch_size)).rowcount,
                                 f"archive batch of {report.table}")
        report.rows += n
        if emit:
            elapsed = time.monotonic() - started
            rate = report.rows / elapsed if elapsed > 0 else 0.0
            emit("archive_progress", table=report.table, done=report.rows, total=total, rate=rate,
                 left=(total - report.rows) / rate if rate else None)
        if n == 0:
            break


def _purge(conn, retry, dst: Rel, p: dict, cutoff, report: PolicyReport, dry_run: bool, batch_size: int) -> None:
    partitioned = conn.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", (dst.reg,)).fetchone()[0]
    if partitioned:
        for part in _rows(conn, "expired_partitions.sql", parent=dst.reg, cutoff=cutoff):
            label = f"{part['schema_name']}.{part['name']}"
            if not dry_run:
                locks.in_transaction(conn, retry, lambda part=part: conn.execute(
                    sql.SQL("DROP TABLE {}").format(sql.Identifier(part["schema_name"], part["name"]))),
                    f"purge {label}")
            report.purged.append(label)
        return
    stmt = sql.SQL("DELETE FROM {t} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {t} WHERE {c} < %s LIMIT %s))").format(
        t=dst.ident, c=sql.Identifier(p["time_column"]))
    while not dry_run:
        n = locks.in_transaction(conn, retry, lambda: conn.execute(stmt, (cutoff, batch_size)).rowcount,
                                 f"purge batch of {dst}")
        if n == 0:
            break
        report.purged.append(f"{n} row(s) of {dst}")
