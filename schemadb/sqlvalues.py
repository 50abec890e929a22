"""The values of `schemadb new --template` and the SQL filters that print them: a value is checked against its
kind before anything renders (an identifier must be one, an expression must parse as exactly one expression and is
written back as PostgreSQL's parser read it, a type must be a type), and is printed only through `ident`, `literal`,
`expr`, `sqltype` or `number`.
"""

from __future__ import annotations

import hashlib
import re

KINDS = {
    "qualified": "an identifier, optionally schema-qualified (schema.name)",
    "name": "an identifier",
    "names": "identifiers, comma-separated",
    "index_columns": "columns, comma-separated, each optionally followed by ASC or DESC and NULLS FIRST or LAST",
    "expr": "one SQL expression",
    "type": "a SQL type name",
    "text": "any text (written as a quoted literal)",
    "bool": "true or false",
    "int": "a positive whole number",
}
MAX_IDENT = 63


class Name(tuple):
    """A checked identifier, possibly schema-qualified: its parts as given (exact, never case-folded)."""

    @property
    def last(self) -> str:
        return self[-1]

    @property
    def schema(self) -> str | None:
        return self[0] if len(self) > 1 else None

    def __str__(self) -> str:
        return ".".join(self)


class Names(tuple):
    """A checked list of identifiers."""

    def __str__(self) -> str:
        return ",".join(self)


class IndexColumns(Names):
    """A checked list of index columns: the names (for derived names), and each one's ordering (ASC, DESC, NULLS
    FIRST or LAST, upper case, or empty)."""

    orders: tuple = ()


_ORDERING = re.compile(r"(.*?)((?:\s+(?:ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?)\s*", re.IGNORECASE | re.DOTALL)


def parse_index_columns(raw: str, what: str) -> IndexColumns:
    """`a, b DESC, c ASC NULLS LAST`: each item a column name (in double quotes when it holds a space or a comma
    is not meant) and its ordering."""
    names, orders = [], []
    for item in _split_names(raw, what):
        m = _ORDERING.fullmatch(item)
        name, order = m.group(1), " ".join(m.group(2).upper().split())
        if name.startswith('"'):
            name = parse_qualified(name, what)
            if len(name) != 1:
                raise ValueError(f"{what}: {item!r}: an index column is one name")
            name = name.last
        names.append(_identifier(name, what))
        orders.append(order)
    out = IndexColumns(names)
    out.orders = tuple(orders)
    return out


def _split_names(raw: str, what: str) -> list[str]:
    items = [x.strip() for x in raw.split(",")]
    if not all(items):
        raise ValueError(f"{what}: {raw!r}: an empty name in the list")
    return items


class Sql(str):
    """A SQL fragment that has been parsed and deparsed (an expression or a type): safe to print as is.
    `constant`: an expression PostgreSQL evaluates once for ADD COLUMN … DEFAULT (a constant, a cast of one,
    now() or CURRENT_*), so that the default is stored in the catalog instead of rewriting the table."""

    constant = False


def _identifier(raw: str, what: str) -> str:
    if not raw or raw != raw.strip():
        raise ValueError(f"{what}: an identifier cannot be empty or start or end with spaces")
    if len(raw.encode("utf-8")) > MAX_IDENT:
        raise ValueError(f"{what}: {raw!r} is longer than PostgreSQL's {MAX_IDENT} bytes")
    if any(ord(c) < 32 for c in raw):
        raise ValueError(f"{what}: {raw!r} holds a control character")
    return raw


def parse_qualified(raw: str, what: str) -> Name:
    """schema.name or name, each part exactly as given (never case-folded); a part that holds a dot is written
    in double quotes, as in SQL ("a.b", with "" for a quote inside)."""
    parts, i = [], 0
    while True:
        if raw.startswith('"', i):
            j, buf = i + 1, []
            while True:
                k = raw.find('"', j)
                if k < 0:
                    raise ValueError(f"{what}: {raw!r} has an unclosed double quote")
                buf.append(raw[j:k])
                if raw.startswith('"', k + 1):
                    buf.append('"')
                    j = k + 2
                    continue
                break
            parts.append("".join(buf))
            i = k + 1
            if i < len(raw) and raw[i] != ".":
                raise ValueError(f"{what}: {raw!r}: a quoted name is followed by something other than a dot")
        else:
            k = raw.find(".", i)
            parts.append(raw[i:] if k < 0 else raw[i:k])
            i = len(raw) if k < 0 else k
        if i >= len(raw):
            break
        i += 1  # the dot
    if len(parts) > 2:
        raise ValueError(f"{what}: {raw!r} has more than schema.name (quote a name that holds a dot: \"a.b\")")
    return Name(_identifier(p, what) for p in parts)


def deparse_expression(raw: str, what: str) -> Sql:
    from pglast import parse_sql
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    try:
        stmts = parse_sql(f"SELECT ({raw})")
    except ParseError as e:
        raise ValueError(f"{what}: {raw!r} is not a SQL expression ({e.args[0]})") from None
    sel = stmts[0].stmt if len(stmts) == 1 else None
    if (sel is None or type(sel).__name__ != "SelectStmt" or len(sel.targetList or ()) != 1
            or sel.fromClause or sel.whereClause or sel.groupClause or sel.sortClause or sel.limitCount):
        raise ValueError(f"{what}: {raw!r} is not exactly one SQL expression")
    node = sel.targetList[0].val
    out = Sql(RawStream()(node))
    out.constant = _constant(node)
    return out


_STABLE_CALLS = {"now", "transaction_timestamp", "statement_timestamp", "current_date", "current_timestamp"}


def _constant(node) -> bool:
    kind = type(node).__name__
    if kind in ("A_Const", "SQLValueFunction"):
        return True
    if kind == "TypeCast":
        return _constant(node.arg)
    if kind == "FuncCall":
        return (not node.args and len(node.funcname) <= 2
                and node.funcname[-1].sval in _STABLE_CALLS)
    return False


def deparse_type(raw: str, what: str) -> Sql:
    from pglast import parse_sql
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    try:
        stmts = parse_sql(f"SELECT CAST(NULL AS {raw})")
    except ParseError:
        raise ValueError(f"{what}: {raw!r} is not a SQL type") from None
    sel = stmts[0].stmt if len(stmts) == 1 else None
    target = sel.targetList[0].val if sel is not None and len(sel.targetList or ()) == 1 else None
    if type(target).__name__ != "TypeCast" or sel.fromClause or sel.whereClause:
        raise ValueError(f"{what}: {raw!r} is not a SQL type")
    return Sql(RawStream()(target.typeName))


def convert(name: str, kind: str, raw: str):
    """A --set value checked against its kind (ValueError says what is wrong)."""
    what = f"--set {name}"
    if "$schemadb$" in raw:  # the dollar quote of the templates' function and DO bodies
        raise ValueError(f"{what}: {raw!r} holds $schemadb$")
    if kind == "qualified":
        return parse_qualified(raw, what)
    if kind == "name":
        if "." in raw:
            raise ValueError(f"{what}: {raw!r}: a {name} is not schema-qualified (it lives in the table's schema)")
        return Name((_identifier(raw, what),))
    if kind == "names":
        return Names(_identifier(x, what) for x in _split_names(raw, what))
    if kind == "index_columns":
        return parse_index_columns(raw, what)
    if kind == "expr":
        return deparse_expression(raw, what)
    if kind == "type":
        return deparse_type(raw, what)
    if kind == "bool":
        low = raw.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{what}: {raw!r} is not true or false")
    if kind == "int":
        if not re.fullmatch(r"[0-9]{1,9}", raw.strip()) or int(raw) <= 0:
            raise ValueError(f"{what}: {raw!r} is not a positive whole number")
        return int(raw)
    return raw  # text: printed only through `literal`


# --- the SQL filters ---------------------------------------------------------------------------------------


def _keywords() -> frozenset:
    from pglast import keywords

    return frozenset(keywords.RESERVED_KEYWORDS | keywords.UNRESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS
                     | keywords.TYPE_FUNC_NAME_KEYWORDS)


_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")


def quote_ident(part: str, keywords: frozenset) -> str:
    """One identifier as PostgreSQL needs it: bare when it reads back the same (lower case, not a keyword),
    else double-quoted with quotes doubled (psycopg.sql.Identifier's rule)."""
    if _PLAIN.fullmatch(part) and part not in keywords:
        return part
    return '"' + part.replace('"', '""') + '"'


class Filters:
    def __init__(self):
        self.keywords = _keywords()

    def ident(self, value) -> str:
        if isinstance(value, IndexColumns):
            return ", ".join(quote_ident(p, self.keywords) + (f" {o}" if o else "")
                             for p, o in zip(value, value.orders, strict=True))
        if isinstance(value, Names):
            return ", ".join(quote_ident(p, self.keywords) for p in value)
        if isinstance(value, Name):
            return ".".join(quote_ident(p, self.keywords) for p in value)
        if isinstance(value, (list, tuple)):
            return ".".join(quote_ident(_identifier(str(p), "a name"), self.keywords) for p in value)
        return quote_ident(_identifier(str(value), "a name"), self.keywords)

    @staticmethod
    def literal(value) -> str:
        from psycopg import sql

        if isinstance(value, (Name, Names)):
            value = str(value)
        return sql.Literal(value).as_string(None)

    @staticmethod
    def expr(value) -> str:
        return value if isinstance(value, Sql) else deparse_expression(str(value), "an expression")

    @staticmethod
    def sqltype(value) -> str:
        return value if isinstance(value, Sql) else deparse_type(str(value), "a type")

    @staticmethod
    def number(value) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not a whole number")
        return str(int(value))


def derived_name(*parts, suffix: str) -> str:
    """PostgreSQL's way of naming an index or constraint (<table>_<columns>_<suffix>), kept within 63 bytes
    by cutting and adding a short digest, so that two long names never collide."""
    flat: list[str] = []
    for p in parts:
        if isinstance(p, Name):
            flat.append(p.last)
        elif isinstance(p, (Names, list, tuple)):
            flat.extend(str(x) for x in p)
        else:
            flat.append(str(p))
    return fit_identifier("_".join(flat), "_" + suffix)


def fit_identifier(name: str, suffix: str = "") -> str:
    """name + suffix within PostgreSQL's 63 bytes: when too long, the name is cut and a short digest of the whole
    takes the cut's place (so that two long names never become one), the suffix kept."""
    full = name + suffix
    if len(full.encode("utf-8")) <= MAX_IDENT:
        return full
    tag = hashlib.sha256(full.encode("utf-8")).hexdigest()[:8]
    head = name.encode("utf-8")[: MAX_IDENT - len(suffix.encode("utf-8")) - 9].decode("utf-8", errors="ignore")
    return f"{head}_{tag}{suffix}"


def fail(message: str):
    raise ValueError(message)


def digest(value) -> str:
    """A short stable digest of a value (for default names that must differ when the values differ)."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]


def qualified_like(table, name) -> Name:
    """`name` in the schema of `table` (an index or constraint lives in its table's schema)."""
    schema = table.schema if isinstance(table, Name) else None
    last = name.last if isinstance(name, Name) else str(name)
    return Name((schema, last)) if schema else Name((last,))
