"""SQL text without a server: the statements of a file as PostgreSQL's own parser sees them.

pglast's JSON parse (libpg_query) is used throughout: it is an order of magnitude faster than
pglast's Python tree objects. Each statement keeps its place in the file in characters and a summary
of what it does (summary.py: small, so that the per-checksum cache stays small). Files larger than
LARGE are parsed in batches cut at statement ends, so an 80 MB data file never becomes gigabytes of
parse tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

FACTS_VERSION = 7  # bump when what parse() keeps changes: cached facts of older versions are ignored
LARGE = 2 << 20  # characters

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
    props: dict  # summary.summarize(): {"kind": "IndexStmt", ...}

    @property
    def kind(self) -> str:
        return self.props["kind"]

    def text(self, source: str) -> str:
        return source[self.start:self.end]

    def to_json(self) -> list:
        return [self.start, self.end, self.props]

    @classmethod
    def from_json(cls, raw: list) -> Stmt:
        return cls(raw[0], raw[1], raw[2])


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


# Statements whose summary is their kind alone (no check reads more of them): they are not parsed to a
# tree at all, which keeps function bodies and data files cheap. Keyed by their first words.
_SKIP = {
    ("create", "function"): "CreateFunctionStmt", ("create", "procedure"): "CreateFunctionStmt",
    ("create", "or", "replace", "function"): "CreateFunctionStmt",
    ("create", "or", "replace", "procedure"): "CreateFunctionStmt",
    ("create", "trigger"): "CreateTrigStmt", ("create", "constraint", "trigger"): "CreateTrigStmt",
    ("create", "or", "replace", "trigger"): "CreateTrigStmt",
    ("create", "aggregate"): "DefineStmt", ("create", "or", "replace", "aggregate"): "DefineStmt",
    ("create", "view"): "ViewStmt", ("create", "or", "replace", "view"): "ViewStmt",
    ("create", "recursive", "view"): "ViewStmt", ("create", "policy"): "CreatePolicyStmt",
    ("create", "extension"): "CreateExtensionStmt",
    ("create", "sequence"): "CreateSeqStmt", ("create", "rule"): "RuleStmt",
    ("create", "or", "replace", "rule"): "RuleStmt", ("create", "cast"): "CreateCastStmt",
    ("create", "operator"): "DefineStmt", ("comment",): "CommentStmt", ("grant",): "GrantStmt",
    ("revoke",): "GrantStmt", ("select",): "SelectStmt", ("values",): "SelectStmt", ("copy",): "CopyStmt",
    ("security", "label"): "SecLabelStmt", ("notify",): "NotifyStmt", ("insert",): "InsertStmt",
}
_WORDS = re.compile(r"[A-Za-z_]+")
_INSERT_INTO = re.compile(
    r'\s*insert\s+into\s+((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?)',
    re.I)


def _ident(raw: str) -> str:
    raw = raw.strip()
    return raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()


def _skipped(text: str, start: int) -> str | None:
    """The kind of a statement that needs no parse tree, from its first words (None: parse it)."""
    words = tuple(w.lower() for w in _WORDS.findall(text, start, start + 48)[:4])
    for n in (4, 3, 2, 1):
        kind = _SKIP.get(words[:n])
        if kind:
            return kind
    return None


def _split(text: str) -> list[slice]:
    from pglast.parser import ParseError, split

    try:
        return list(split(text, with_parser=True, only_slices=True))
    except ParseError as e:
        raise SqlSyntaxError(str(e.args[0]), e.args[1] if len(e.args) > 1 else 0) from None


def _summary(text: str) -> dict:
    from pglast.parser import parse_sql_json

    from .summary import summarize

    stmts = json.loads(parse_sql_json(text)).get("stmts", [])
    if not stmts:
        return {"kind": "Empty"}
    (kind, node), = stmts[0]["stmt"].items()
    return summarize(kind, node)


def _parse_batch(text: str, base: int, out: list[Stmt], collapse: bool) -> None:
    for sl in _split(text):
        start = _LEADING.match(text, sl.start).end()
        end = max(sl.stop, start)
        kind = _skipped(text, start)
        if kind == "InsertStmt":
            m = _INSERT_INTO.match(text, start)
            table = None
            if m:
                parts = [_ident(x) for x in re.split(r'\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)', m.group(1))]
                table = [parts[0] if len(parts) > 1 else None, parts[-1]]
            props = {"kind": kind, "table": table}
            last = out[-1] if out else None
            if collapse and last is not None and last.kind == kind and last.props.get("table") == table:
                out[-1] = Stmt(last.start, base + end, {**props, "count": last.props.get("count", 1) + 1})
                continue
        elif kind is not None:
            props = {"kind": kind}
        else:
            props = _summary(text[start:end])
        out.append(Stmt(base + start, base + end, props))


def parse(text: str, collapse: bool = False) -> list[Stmt]:
    """Every statement of `text`, in order (with `collapse`, a run of INSERTs into one table is one entry:
    what a data file's checks need, at a fraction of the memory). Raises SqlSyntaxError."""
    out: list[Stmt] = []
    for base, piece in batches(text):
        try:
            _parse_batch(piece, base, out, collapse)
        except SqlSyntaxError as e:
            raise SqlSyntaxError(e.message, base + e.offset) from None
    return out


def statement_starts(text: str):
    """The character offset of each statement's first token, in order (exact, never collapsed)."""
    for base, piece in batches(text):
        for sl in _split(piece):
            yield base + _LEADING.match(piece, sl.start).end()


def batches(text: str):
    """(offset, text) pieces of about LARGE characters cut at statement ends (the whole text when small)."""
    if len(text) <= LARGE:
        yield 0, text
        return
    pos = 0
    while pos < len(text):
        cut = _batch_end(text, pos)
        yield pos, text[pos:cut]
        pos = cut


def _batch_end(text: str, pos: int) -> int:
    """The end of a batch starting at `pos`: just after a ';' that ends a statement, about LARGE on.

    A cut inside a string, a quoted identifier, a comment or a dollar-quoted body leaves the first part
    unterminated, which the parser refuses; a cut whose ';' was in a line comment (so that the last
    statement runs on) is refused here. Either way the batch grows to the next candidate."""
    target = pos + LARGE
    while True:
        cut = text.find(";\n", target)
        if cut < 0:
            return len(text)
        piece = text[pos:cut + 1]
        try:
            slices = _split(piece)
        except SqlSyntaxError:
            target = cut + 1
            continue
        tail = _LEADING.match(piece, slices[-1].stop).end() if slices else 0
        if slices and tail != cut - pos:
            target = cut + 1
            continue
        return cut + 1


# --- what the runner needs to know of a statement -------------------------------------------------

_TX_ALLOWED = {"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"}
TX_OPEN = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
TX_CLOSE = {"TRANS_STMT_COMMIT"}


def transaction_control(s: Stmt) -> str | None:
    """'BEGIN', 'COMMIT', 'ROLLBACK', … for a statement that opens or ends a transaction, else None."""
    tx = s.props.get("tx")
    if tx is None or tx in _TX_ALLOWED:
        return None
    return tx.replace("TRANS_STMT_", "").replace("_", " ")


def refused_in_transaction(s: Stmt) -> str | None:
    """Why PostgreSQL refuses this statement inside a transaction block (None when it does not)."""
    p, k = s.props, s.kind
    if k == "IndexStmt" and p.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if k == "DropStmt" and p.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if k == "ReindexStmt" and (p.get("concurrent") or p.get("target") in ("system", "database")):
        return "REINDEX CONCURRENTLY" if p.get("concurrent") else "REINDEX DATABASE/SYSTEM"
    if k == "VacuumStmt" and p.get("vacuum"):
        return "VACUUM"
    if k == "AlterTableStmt" and any(c["sub"] == "DetachPartition" and c.get("concurrent")
                                     for c in p.get("cmds", [])):
        return "DETACH PARTITION CONCURRENTLY"
    if k == "ClusterStmt" and not p.get("table"):
        return "CLUSTER (all tables)"
    if k == "DoStmt" and p.get("commits"):
        return "DO block that commits"
    return {
        "AlterSystemStmt": "ALTER SYSTEM", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
        "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
        "CreateSubscriptionStmt": "CREATE SUBSCRIPTION", "DropSubscriptionStmt": "DROP SUBSCRIPTION",
        "CallStmt": "CALL (a procedure may commit)",
    }.get(k)


def concurrent_index(s: Stmt) -> tuple[str | None, str] | None:
    """(schema, name) of the index a CREATE INDEX CONCURRENTLY builds (the schema is the table's)."""
    p = s.props
    if s.kind != "IndexStmt" or not p.get("concurrent") or not p.get("index"):
        return None
    return (p["table"][0] if p.get("table") else None), p["index"]


def touched_tables(s: Stmt) -> list[tuple[tuple[str | None, str], str]]:
    """The tables a statement drops, alters, renames, truncates or writes: [((schema, name), verb)]."""
    p, k = s.props, s.kind
    out = []
    if k == "DropStmt" and p.get("type") in ("table", "schema"):
        for obj in p.get("objects", []):
            if obj and p["type"] == "schema":
                out.append(((obj[1], "*"), "drops the schema of"))
            elif obj:
                out.append(((obj[0], obj[1]), "drops"))
    elif k in ("AlterTableStmt", "RenameStmt") and p.get("table"):
        out.append((tuple(p["table"]), "renames" if k == "RenameStmt" else "alters"))
    elif k == "TruncateStmt":
        out += [(tuple(t), "truncates") for t in p.get("tables", []) if t]
    elif k in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt") and p.get("table"):
        out.append((tuple(p["table"]), "writes"))
    return out
