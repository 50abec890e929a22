"""CONCURRENTLY on a partitioned table, which PostgreSQL refuses (0A000) and pg_partman cannot do.

In a `-- schemadb:no-transaction` file, `CREATE [UNIQUE] INDEX CONCURRENTLY name ON parent …` is carried out
the way GitLab's partitioning helpers do it: `CREATE INDEX name ON ONLY parent …` (catalog only, INVALID), then
for every partition that exists now, `CREATE INDEX CONCURRENTLY` on the partition and `ALTER INDEX name ATTACH
PARTITION child`; once every partition's index is attached, PostgreSQL marks the parent's valid. Sub-partitions
are handled the same way, recursively; partitions created meanwhile get the index from PostgreSQL itself.

Every step goes through the one lock-retry mechanism. What is done is read from the catalog, never assumed:
a partition whose index is already attached is skipped, an INVALID index an interrupted build left is dropped
first, so a failed or killed run resumes at the partition where it stopped.

`DROP INDEX CONCURRENTLY` of a partitioned index (which PostgreSQL also refuses) runs as a plain `DROP INDEX`:
catalog only and brief, but under an ACCESS EXCLUSIVE lock on the table and each partition, so in short attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from .locks import LockStats
from .sqltext import Stmt
from .sqlvalues import fit_identifier


@dataclass
class Table:
    oid: int
    schema: str
    name: str
    partitioned: bool


def target_table(conn: psycopg.Connection, s: Stmt) -> Table | None:
    """The partitioned table a CREATE INDEX CONCURRENTLY is on (None: not partitioned, or not there)."""
    if s.kind != "IndexStmt" or not s.props.get("concurrent"):
        return None
    rel = s.props.get("table") or [None, None]
    if not rel or not rel[-1]:
        return None
    ident = (sql.Identifier(rel[0], rel[1]) if rel[0] else sql.Identifier(rel[1])).as_string(conn)
    row = conn.execute("SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE c.oid = to_regclass(%s) AND c.relkind = 'p'", (ident,)).fetchone()
    return Table(row[0], row[1], row[2], True) if row else None


def partitioned_drop(conn: psycopg.Connection, s: Stmt) -> bool:
    """Whether a DROP INDEX CONCURRENTLY names a partitioned index."""
    p = s.props
    if s.kind != "DropStmt" or not p.get("concurrent") or p.get("type") != "index":
        return False
    for q in p.get("objects", []):
        if not q:
            continue
        ident = (sql.Identifier(*[x for x in q if x])).as_string(conn)
        if conn.execute("SELECT 1 FROM pg_class WHERE oid = to_regclass(%s) AND relkind = 'I'", (ident,)).fetchone():
            return True
    return False


def _deparse(node) -> str:
    from pglast.stream import RawStream

    return RawStream()(node)


def _parse_one(text: str):
    from pglast import parse_sql

    return parse_sql(text)[0].stmt


def plain_drop(text: str) -> str:
    node = _parse_one(text)
    node.concurrent = False
    return _deparse(node)


def child_index_name(parent_table: str, child_table: str, index: str) -> str:
    """The name of a partition's index: the partition's name in place of the table's when the index is named
    after its table (events_note_idx → events_y2026m01_note_idx), else <partition>_<index>; within 63 bytes (a
    short digest replaces what is cut, so that two partitions never get one name)."""
    rest = index[len(parent_table):] if index.startswith(parent_table + "_") else "_" + index
    return fit_identifier(child_table + rest)


class PartitionedIndex:
    """One CREATE INDEX CONCURRENTLY on a partitioned table, carried out partition by partition.
    `run_step(statements, what)` is the caller's: it sends what `statements()` gives, each attempt under the lock
    retries, and returns the LockStats (or raises, ending the file's run)."""

    def __init__(self, conn: psycopg.Connection, text: str, table: Table, run_step, emit):
        self.conn, self.table, self.run_step, self.emit = conn, table, run_step, emit
        self.node = _parse_one(text)
        self.index = self.node.idxname
        self.stats = LockStats(attempts=1)
        self.done = 0
        self.total = 0

    # -- the catalog, read every time: what is done is what is there --
    def _children(self, oid: int) -> list[Table]:
        rows = self.conn.execute(
            "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p' FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = %s ORDER BY c.relname", (oid,)).fetchall()
        return [Table(*r) for r in rows]

    def _leaves(self, oid: int) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_partition_tree(%s) WHERE isleaf", (oid,)).fetchone()[0]

    def _index(self, schema: str, name: str) -> tuple[int, bool, int] | None:
        """(oid, valid, table oid) of an index, or None."""
        ident = sql.Identifier(schema, name).as_string(self.conn)
        row = self.conn.execute("SELECT i.indexrelid, i.indisvalid, i.indrelid FROM pg_index i"
                                " WHERE i.indexrelid = to_regclass(%s)", (ident,)).fetchone()
        return (row[0], bool(row[1]), row[2]) if row else None

    def _attached(self, parent_index: int, table_oid: int) -> tuple[int, str, str, bool] | None:
        """The index of partition `table_oid` already attached to `parent_index`: (oid, schema, name, valid)."""
        row = self.conn.execute(
            "SELECT c.oid, n.nspname, c.relname, x.indisvalid FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid"
            " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE i.inhparent = %s AND x.indrelid = %s", (parent_index, table_oid)).fetchone()
        return (row[0], row[1], row[2], bool(row[3])) if row else None

    # -- the statements --
    def _create(self, table: Table, name: str, concurrently: bool) -> str:
        """The file's CREATE INDEX, on `table` as `name`: ON ONLY (catalog only) or CONCURRENTLY on a partition."""
        from pglast import ast

        self.node.concurrent = concurrently
        self.node.idxname = name
        self.node.relation = ast.RangeVar(schemaname=table.schema, relname=table.name, inh=concurrently,
                                          relpersistence="p")
        return _deparse(self.node)

    def _step(self, what: str, statements) -> None:
        stats = self.run_step(statements, what)
        self.stats.attempts = max(self.stats.attempts, stats.attempts)
        self.stats.wait_ms += stats.wait_ms

    def _check_unique(self) -> str | None:
        """A UNIQUE index must hold the partition key's columns (PostgreSQL enforces uniqueness per partition)."""
        if not self.node.unique:
            return None
        cols = {p.name for p in self.node.indexParams or () if getattr(p, "name", None)}
        key = [r[0] for r in self.conn.execute(
            "SELECT a.attname FROM pg_partitioned_table pt, unnest(pt.partattrs) WITH ORDINALITY AS k(attnum, n)"
            " JOIN pg_attribute a ON a.attrelid = %s AND a.attnum = k.attnum WHERE pt.partrelid = %s ORDER BY k.n",
            (self.table.oid, self.table.oid)).fetchall()]
        missing = [k for k in key if k not in cols]
        if missing or (not key):
            return (f"the UNIQUE index {self.index} on partitioned table {self.table.schema}.{self.table.name} must "
                    f"include its partition key ({', '.join(key) or 'an expression'}): PostgreSQL checks uniqueness "
                    f"within each partition only, so a unique index without {', '.join(missing) or 'it'} cannot be "
                    "enforced")
        return None

    def run(self) -> LockStats:
        if not self.index:
            raise Refused(f"name the index: schemadb builds an index on partitioned table {self.table.schema}."
                           f"{self.table.name} partition by partition, and resumes it by its name")
        why = self._check_unique()
        if why:
            raise Refused(why)
        self.total = self._leaves(self.table.oid)
        self._build(self.table, self.index)
        return self.stats

    def _build(self, table: Table, name: str) -> int:
        """Make `name` (an index on partitioned `table`) valid; returns its oid."""
        found = self._index(table.schema, name)
        if found is None:
            self._step(f"CREATE INDEX {name} ON ONLY {table.schema}.{table.name}",
                       lambda: [self._create(table, name, concurrently=False)])
            found = self._index(table.schema, name)
        oid, valid, on = found
        if on != table.oid:
            raise Refused(f"an index named {table.schema}.{name} exists on another table")
        if valid:
            self.done += self._leaves(table.oid)
            return oid
        for child in self._children(table.oid):
            self._partition(table, oid, name, child)
        return oid

    def _partition(self, parent: Table, parent_index: int, parent_name: str, child: Table) -> None:
        attached = self._attached(parent_index, child.oid)
        if attached is not None:
            if attached[3]:
                self.done += self._leaves(child.oid) if child.partitioned else 1
            else:  # a sub-partitioned child whose own partitions are not all done yet
                self._build(child, attached[2])
            return
        cname = child_index_name(parent.name, child.name, parent_name)
        if child.partitioned:
            self._build(child, cname)
        else:
            self.done += 1
            self.emit("partition_index", index=parent_name, partition=f"{child.schema}.{child.name}",
                      n=self.done, total=self.total)
            existing = self._index(child.schema, cname)
            if existing is not None and existing[2] != child.oid:
                raise Refused(f"an index named {child.schema}.{cname} exists on another table")
            if existing is None or not existing[1]:
                def build():
                    now = self._index(child.schema, cname)
                    out = []
                    if now is not None and not now[1]:  # what an interrupted or timed-out build left
                        out.append(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
                            sql.Identifier(child.schema, cname)).as_string(self.conn))
                    return out + [self._create(child, cname, concurrently=True)]

                self._step(f"CREATE INDEX CONCURRENTLY {cname} ON {child.schema}.{child.name} "
                           f"(partition {self.done} of {self.total})", build)
        self._step(f"ALTER INDEX {parent_name} ATTACH PARTITION {cname}",
                   lambda: [sql.SQL("ALTER INDEX {} ATTACH PARTITION {}").format(
                       sql.Identifier(parent.schema, parent_name), sql.Identifier(child.schema, cname)
                   ).as_string(self.conn)])


class Refused(Exception):
    """A partitioned index that cannot be built as written (no name, UNIQUE without the partition key)."""


