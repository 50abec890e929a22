"""SQL text without a server: the statements of a file as PostgreSQL's own parser sees them.

pglast's JSON parse (libpg_query) is used throughout: it is an order of magnitude faster than
pglast's Python tree objects. Each statement keeps its kind (the parse node's name), its place in
the file in characters, and its parse node (only the target relation for row statements, which
is all any check needs and keeps the cache small). Files larger than LARGE are parsed in batches
cut at statement ends, so an 80 MB data file never becomes gigabytes of parse tree.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass

FACTS_VERSION = 3  # bump when what parse() keeps changes: cached facts of older versions are ignored
LARGE = 2 << 20  # characters

_ROW_STATEMENTS = {"InsertStmt", "UpdateStmt", "DeleteStmt", "SelectStmt", "MergeStmt"}
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*(?:[^*/]|\*(?!/)|/(?!\*))*\*/)*")  # a nested comment stops it


class SqlSyntaxError(Exception):
    """The parser refused the text; `offset` is the 0-based character offset it points at."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Stmt:
    start: int  # character offset of the statement's first token
    end: int  # character offset just after its last token (the ';' excluded)
    kind: str  # the parse node's name: IndexStmt, AlterTableStmt, TransactionStmt, …
    node: dict  # the parse node (for row statements: only {"relation": …})

    def text(self, source: str) -> str:
        return source[self.start:self.end]

    def to_json(self) -> list:
        return [self.start, self.end, self.kind, self.node]

    @classmethod
    def from_json(cls, raw: list) -> Stmt:
        return cls(raw[0], raw[1], raw[2], raw[3])


def position_to_line_col(text: str, offset: int) -> tuple[int, int]:
    """0-based character offset -> 1-based (line, column)."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def has_statement(text: str) -> bool:
    """False for a text of nothing but white space, comments and semicolons (looks only as far as the
    first token, so it costs nothing on a large file)."""
    pos = 0
    while True:
        pos = _LEADING.match(text, pos).end()
        if pos >= len(text):
            return False
        if text[pos] == ";":
            pos += 1
            continue
        if not text.startswith("/*", pos):
            return True
        break
    # a block comment the simple pattern cannot skip (nested): PostgreSQL's scanner decides
    from pglast.parser import scan

    try:
        return any(t.name not in ("C_COMMENT", "SQL_COMMENT", "ASCII_59") for t in scan(text[pos:pos + 65536]))
    except Exception:
        return True  # an unterminated comment: the parser will say what is wrong with it


class _Chars:
    """Byte offsets of libpg_query (UTF-8) to character offsets of the Python string."""

    def __init__(self, text: str):
        self.ascii = text.isascii()
        if not self.ascii:
            ends, total = [], 0
            for ch in text:
                total += len(ch.encode("utf-8"))
                ends.append(total)
            self.ends = ends

    def __call__(self, byte_offset: int) -> int:
        return byte_offset if self.ascii else bisect.bisect_right(self.ends, byte_offset)


def _slim(kind: str, node: dict) -> dict:
    if kind in _ROW_STATEMENTS:
        rel = node.get("relation")
        return {"relation": rel} if rel else {}
    return node


def _parse_batch(text: str, base: int, out: list[Stmt]) -> None:
    from pglast.parser import ParseError, parse_sql_json

    try:
        doc = json.loads(parse_sql_json(text))
    except ParseError as e:
        raise SqlSyntaxError(str(e.args[0]), base + (e.args[1] if len(e.args) > 1 else 0)) from None
    chars = _Chars(text)
    for raw in doc.get("stmts", []):
        (kind, node), = raw["stmt"].items()
        lo = chars(raw.get("stmt_location", 0))
        length = raw.get("stmt_len", 0)
        hi = chars(raw.get("stmt_location", 0) + length) if length else len(text.rstrip().rstrip(";").rstrip())
        m = _LEADING.match(text, lo)
        start = m.end() if m else lo
        out.append(Stmt(base + start, base + max(hi, start), kind, _slim(kind, node)))


def parse(text: str) -> list[Stmt]:
    """Every statement of `text`, in order. Raises SqlSyntaxError."""
    out: list[Stmt] = []
    if len(text) <= LARGE:
        _parse_batch(text, 0, out)
        return out
    pos = 0
    while pos < len(text):
        cut = _batch_end(text, pos)
        _parse_batch(text[pos:cut], pos, out)
        pos = cut
    return out


def _batch_end(text: str, pos: int) -> int:
    """The end of a batch starting at `pos`: just after a ';' that ends a statement, about LARGE on.

    A cut inside a string, a quoted identifier, a comment or a dollar-quoted body leaves the first part
    unterminated, which the parser refuses; a cut whose last statement is not terminated by a ';' (the ';'
    was in a line comment) is refused here. Either way the batch grows to the next candidate."""
    from pglast.parser import ParseError, parse_sql_json

    target = pos + LARGE
    while True:
        cut = text.find(";\n", target)
        if cut < 0:
            return len(text)
        cut += 1
        piece = text[pos:cut]
        try:
            doc = json.loads(parse_sql_json(piece))
        except ParseError:
            target = cut + 1
            continue
        stmts = doc.get("stmts", [])
        if stmts and stmts[-1].get("stmt_len", 0) == 0:
            target = cut + 1
            continue
        return cut


# --- what the runner needs to know of a statement -------------------------------------------------

_TX_ALLOWED = {"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"}
TX_OPEN = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
TX_CLOSE = {"TRANS_STMT_COMMIT"}


def transaction_control(s: Stmt) -> str | None:
    """'BEGIN', 'COMMIT', 'ROLLBACK', … for a statement that opens or ends a transaction, else None."""
    if s.kind != "TransactionStmt":
        return None
    kind = s.node.get("kind", "")
    if kind in _TX_ALLOWED:
        return None
    return kind.replace("TRANS_STMT_", "").replace("_", " ")


def _has_option(node: dict, name: str) -> bool:
    return any(p.get("DefElem", {}).get("defname") == name for p in node.get("params", []) or [])


def refused_in_transaction(s: Stmt) -> str | None:
    """Why PostgreSQL refuses this statement inside a transaction block (None when it does not)."""
    n, k = s.node, s.kind
    if k == "IndexStmt" and n.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if k == "DropStmt" and n.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if k == "ReindexStmt" and (_has_option(n, "concurrently") or n.get("kind") in (
            "REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE")):
        return "REINDEX CONCURRENTLY" if _has_option(n, "concurrently") else "REINDEX DATABASE/SYSTEM"
    if k == "VacuumStmt" and n.get("is_vacuumcmd"):
        return "VACUUM"
    if k == "AlterTableStmt":
        for c in n.get("cmds", []):
            cmd = c.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_DetachPartition" and cmd.get("def", {}).get("PartitionCmd", {}).get(
                    "concurrent"):
                return "DETACH PARTITION CONCURRENTLY"
    if k == "ClusterStmt" and not n.get("relation"):
        return "CLUSTER (all tables)"
    return {
        "AlterSystemStmt": "ALTER SYSTEM", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
        "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
        "CreateSubscriptionStmt": "CREATE SUBSCRIPTION", "DropSubscriptionStmt": "DROP SUBSCRIPTION",
        "CallStmt": "CALL (a procedure may commit)",
    }.get(k)


def concurrent_index(s: Stmt) -> tuple[str | None, str] | None:
    """(schema, name) of the index a CREATE INDEX CONCURRENTLY builds (the schema is the table's)."""
    if s.kind != "IndexStmt" or not s.node.get("concurrent") or not s.node.get("idxname"):
        return None
    return s.node.get("relation", {}).get("schemaname"), s.node["idxname"]


def relation_name(rv: dict | None) -> tuple[str | None, str] | None:
    """(schema, name) of a RangeVar node."""
    if not rv or "relname" not in rv:
        return None
    return rv.get("schemaname"), rv["relname"]


def names_in_list(items: list) -> tuple[str | None, str] | None:
    """(schema, name) of a qualified name written as a List of Strings (DROP TABLE a.b)."""
    parts = [x.get("String", {}).get("sval") for x in items]
    if not parts or None in parts:
        return None
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


def touched_tables(s: Stmt) -> list[tuple[tuple[str | None, str], str]]:
    """The tables a statement drops, alters, renames, truncates or writes: [((schema, name), verb)]."""
    n, k = s.node, s.kind
    out = []
    if k == "DropStmt" and n.get("removeType") in ("OBJECT_TABLE", "OBJECT_SCHEMA"):
        for obj in n.get("objects", []):
            if n["removeType"] == "OBJECT_SCHEMA":
                name = obj.get("String", {}).get("sval")
                if name:
                    out.append(((name, "*"), "drops the schema of"))
            else:
                q = names_in_list(obj.get("List", {}).get("items", []))
                if q:
                    out.append((q, "drops"))
    elif k in ("AlterTableStmt", "RenameStmt") and relation_name(n.get("relation")):
        out.append((relation_name(n["relation"]), "renames" if k == "RenameStmt" else "alters"))
    elif k == "TruncateStmt":
        for rv in n.get("relations", []):
            q = relation_name(rv.get("RangeVar"))
            if q:
                out.append((q, "truncates"))
    elif k in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt") and relation_name(n.get("relation")):
        out.append((relation_name(n["relation"]), "writes"))
    return out
