"""`schemadb new NAME --template T --set K=V`: the safe versions of dangerous changes, written as files.

A template is a jinja2 file (`sql/templates/<name>.sql.j2`, or `templates/<name>.sql.j2` beside a project's
`migrations/`, which adds or overrides) that renders one or more migration/rollback pairs. It renders when the
files are created, never at migrate time: what runs is what a person reviewed, and checksums and `verify` work
as for any file.

Its first comment declares it:

    {#
    description: one line
    var table: qualified — the table (schema-qualified or not)
    var name?: name — optional (a trailing ?)
    #}

Every value is checked against its kind before anything renders (an identifier must be one, an expression must
parse as exactly one expression), and every `{{ … }}` of a template must go through one of the SQL filters
(`ident`, `literal`, `expr`, `sqltype`, `number`): a template that prints a value any other way is refused, so
no name or value is ever pasted into SQL raw. Rendering uses StrictUndefined: a variable the template uses but
was not given is an error naming it. The rendered text is cut into pairs at `-- @migration [suffix]` and
`-- @rollback` lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import nodes

from .errors import ConfigError
from .resources import sql_path

SUFFIX = ".sql.j2"
KINDS = {
    "qualified": "an identifier, optionally schema-qualified (schema.name)",
    "name": "an identifier",
    "names": "identifiers, comma-separated",
    "expr": "one SQL expression",
    "type": "a SQL type name",
    "text": "any text (written as a quoted literal)",
    "bool": "true or false",
    "int": "a positive whole number",
}
SAFE_FILTERS = {"ident", "literal", "expr", "sqltype", "number"}
_MARK = re.compile(r"^-- @(migration|rollback)\b[ \t]*(\S*)[ \t]*$", re.M)
_HEADER_VAR = re.compile(r"^var\s+([a-z_][a-z0-9_]*)(\?)?\s*:\s*([a-z]+)\s*(?:[—-]+\s*(.*))?$")
MAX_IDENT = 63


@dataclass
class Variable:
    name: str
    kind: str
    required: bool
    help: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "required": self.required, "help": self.help}


@dataclass
class Template:
    name: str
    path: Path
    description: str
    variables: dict[str, Variable]
    origin: str  # "built-in" | "project"

    def to_json(self) -> dict:
        return {"name": self.name, "description": self.description, "origin": self.origin, "file": str(self.path),
                "variables": [v.to_json() for v in self.variables.values()]}

    def signature(self) -> str:
        return ", ".join(v.name + ("" if v.required else "?") for v in self.variables.values())


@dataclass
class TemplateList:
    templates: list[Template] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"templates": [t.to_json() for t in self.templates]}


# --- values ------------------------------------------------------------------------------------------------


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


def _deparse_expression(raw: str, what: str) -> Sql:
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


def _deparse_type(raw: str, what: str) -> Sql:
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


def convert(var: Variable, raw: str):
    what = f"--set {var.name}"
    if "$schemadb$" in raw:  # the dollar quote of the templates' function and DO bodies
        raise ValueError(f"{what}: {raw!r} holds $schemadb$")
    if var.kind == "qualified":
        return parse_qualified(raw, what)
    if var.kind == "name":
        if "." in raw:
            raise ValueError(f"{what}: {raw!r}: a {var.name} is not schema-qualified (it lives in the table's schema)")
        return Name((_identifier(raw, what),))
    if var.kind == "names":
        items = [x.strip() for x in raw.split(",")]
        if not all(items):
            raise ValueError(f"{what}: {raw!r}: an empty name in the list")
        return Names(_identifier(x, what) for x in items)
    if var.kind == "expr":
        return _deparse_expression(raw, what)
    if var.kind == "type":
        return _deparse_type(raw, what)
    if var.kind == "bool":
        low = raw.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{what}: {raw!r} is not true or false")
    if var.kind == "int":
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
        return value if isinstance(value, Sql) else _deparse_expression(str(value), "an expression")

    @staticmethod
    def sqltype(value) -> str:
        return value if isinstance(value, Sql) else _deparse_type(str(value), "a type")

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
    name = "_".join(flat + [suffix])
    if len(name.encode("utf-8")) <= MAX_IDENT:
        return name
    tag = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    head = name.encode("utf-8")[: MAX_IDENT - len(suffix) - 10].decode("utf-8", errors="ignore")
    return f"{head}_{tag}_{suffix}"


def _fail(message: str):
    raise ValueError(message)


def digest(value) -> str:
    """A short stable digest of a value (for default names that must differ when the values differ)."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]


def qualified_like(table, name) -> Name:
    """`name` in the schema of `table` (an index or constraint lives in its table's schema)."""
    schema = table.schema if isinstance(table, Name) else None
    last = name.last if isinstance(name, Name) else str(name)
    return Name((schema, last)) if schema else Name((last,))


# --- loading -----------------------------------------------------------------------------------------------


def _dirs(project: Path | None) -> list[tuple[Path, str]]:
    out = []
    if project is not None and (project / "templates").is_dir():
        out.append((project / "templates", "project"))
    out.append((sql_path("templates"), "built-in"))
    return out


def _header(name: str, path: Path, source: str) -> tuple[str, dict[str, Variable]]:
    m = re.match(r"\s*\{#-?(.*?)-?#\}", source, re.S)
    if not m:
        raise ConfigError(f"{path}: a template starts with a {{# … #}} comment declaring its description and "
                          "variables")
    description, variables = "", {}
    for line in m.group(1).splitlines():
        line = line.strip()
        if line.startswith("description:"):
            description = line.split(":", 1)[1].strip()
        elif line.startswith("var "):
            v = _HEADER_VAR.match(line)
            if not v or v.group(3) not in KINDS:
                raise ConfigError(f"{path}: bad variable line {line!r} (var NAME[?]: KIND — help; kinds: "
                                  f"{', '.join(KINDS)})")
            variables[v.group(1)] = Variable(v.group(1), v.group(3), not v.group(2), (v.group(4) or "").strip())
    if not description:
        raise ConfigError(f"{path}: the template's header has no description: line")
    return description, variables


def available(project: Path | None) -> dict[str, Template]:
    found: dict[str, Template] = {}
    for folder, origin in reversed(_dirs(project)):  # the project's own override the built-in ones
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            name = path.name[: -len(SUFFIX)]
            if name.startswith("_"):
                continue  # partials: macros the templates import
            description, variables = _header(name, path, path.read_text(encoding="utf-8"))
            found[name] = Template(name, path, description, variables, origin)
    return dict(sorted(found.items()))


def list_templates(project: Path | None) -> TemplateList:
    return TemplateList(list(available(project).values()))


def _environment(project: Path | None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d, _ in _dirs(project)]),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)
    f = Filters()
    env.filters.update(ident=f.ident, literal=f.literal, expr=f.expr, sqltype=f.sqltype, number=f.number)
    env.globals.update(derived_name=derived_name, qualified_like=qualified_like, digest=digest,
                       cast_to=lambda column, type_: _deparse_expression(f"CAST({f.ident(column)} AS {type_})", "a cast"),
                       fail=_fail)
    return env


def _unsafe_outputs(tree: nodes.Template) -> list[tuple[int, str]]:
    """Every {{ … }} that prints something not passed through a SQL filter (line, what). A call of a macro
    prints what the macro's own (checked) outputs print."""
    imported = {n.target for n in tree.find_all(nodes.Import)}
    macros = {n.name for n in tree.find_all(nodes.Macro)}
    macros |= {(x[1] if isinstance(x, tuple) else x) for n in tree.find_all(nodes.FromImport) for x in n.names}

    def macro_call(n) -> bool:
        f = n.node
        return ((isinstance(f, nodes.Name) and (f.name in macros or f.name in ("caller", "fail")))
                or (isinstance(f, nodes.Getattr) and isinstance(f.node, nodes.Name) and f.node.name in imported))

    def safe(n) -> bool:
        if isinstance(n, nodes.Call) and macro_call(n):
            return True
        if isinstance(n, nodes.TemplateData):
            return True
        if isinstance(n, nodes.Filter):
            return n.name in SAFE_FILTERS
        if isinstance(n, nodes.CondExpr):
            return safe(n.expr1) and (n.expr2 is None or safe(n.expr2))
        if isinstance(n, nodes.Const):
            return isinstance(n.value, str) and "'" not in n.value
        return False

    bad = []
    for out in tree.find_all(nodes.Output):
        for n in out.nodes:
            if not safe(n):
                bad.append((n.lineno, type(n).__name__))
    return bad


@dataclass
class Rendered:
    pairs: list[tuple[str, str, str]]  # (name suffix, migration text, rollback text)


def render(project: Path | None, template: str, values: dict[str, str], provenance: str) -> tuple[Template, list]:
    """(the template, [(suffix, up, down)]) or ConfigError naming what is wrong; nothing is written here."""
    known = available(project)
    t = known.get(template)
    if t is None:
        raise ConfigError(f"unknown template {template!r} (templates: {', '.join(known) or 'none'}; "
                          "schemadb new --list-templates)")
    unknown = sorted(set(values) - set(t.variables))
    if unknown:
        raise ConfigError(f"template {t.name} has no variable {unknown[0]!r} (its variables: {t.signature()})")
    missing = [v.name for v in t.variables.values() if v.required and v.name not in values]
    if missing:
        raise ConfigError(f"template {t.name} needs --set {missing[0]}=… ({t.variables[missing[0]].help or KINDS[t.variables[missing[0]].kind]}; "
                          f"its variables: {t.signature()})")
    context = {}
    for name, var in t.variables.items():
        if name in values:
            try:
                context[name] = convert(var, values[name])
            except ValueError as e:
                raise ConfigError(f"{e} ({KINDS[var.kind]} is needed)") from None
        else:
            context[name] = None  # optional and not given: the template decides the default
    env = _environment(project)
    source = t.path.read_text(encoding="utf-8")
    try:
        tree = env.parse(source, name=t.name, filename=str(t.path))
        bad = _unsafe_outputs(tree)
        for ref in nodes_of_imports(tree):
            sub_source, sub_file, _ = env.loader.get_source(env, ref)
            bad += [(line, f"{what} in {ref}") for line, what in _unsafe_outputs(env.parse(sub_source))]
        if bad:
            line, what = bad[0]
            raise ConfigError(f"{t.path}:{line}: prints a value ({what}) without a SQL filter "
                              f"({', '.join(sorted(SAFE_FILTERS))}): refused")
        text = env.from_string(source).render(context)
    except jinja2.UndefinedError as e:
        raise ConfigError(f"template {t.name}: {e.message} (its variables: {t.signature()})") from None
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"{e.filename or t.path}:{e.lineno}: {e.message}") from None
    except ValueError as e:
        raise ConfigError(f"template {t.name}: {e}") from None
    return t, split_pairs(t, text, provenance)


def nodes_of_imports(tree: nodes.Template) -> list[str]:
    out = []
    for n in tree.find_all((nodes.Import, nodes.FromImport, nodes.Include)):
        if isinstance(n.template, nodes.Const):
            out.append(n.template.value)
    return out


def provenance(name: str, template: str, values: dict[str, str]) -> str:
    """The command that wrote the files, for their first comment: one line whatever the values hold."""
    import shlex

    words = ["schemadb", "new", name, "--template", template]
    for k, v in values.items():
        words += ["--set", f"{k}={v}"]
    line = " ".join(shlex.quote(w) for w in words)
    return "written by: " + line.replace("\r", "\\r").replace("\n", "\\n")


def split_pairs(t: Template, text: str, provenance: str) -> list[tuple[str, str, str]]:
    marks = list(_MARK.finditer(text))
    if not marks or marks[0].group(1) != "migration":
        raise ConfigError(f"{t.path}: the rendered text must start with a -- @migration line")
    pairs: list[list] = []
    for i, m in enumerate(marks):
        body = text[m.end() + 1: marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        body = _tidy(body)
        if m.group(1) == "migration":
            if pairs and pairs[-1][2] is None:
                raise ConfigError(f"{t.path}: a -- @migration without its -- @rollback")
            pairs.append([m.group(2), _with_provenance(body, provenance), None])
        else:
            if not pairs or pairs[-1][2] is not None:
                raise ConfigError(f"{t.path}: a -- @rollback without its -- @migration")
            pairs[-1][2] = _with_provenance(body, provenance)
    if pairs[-1][2] is None:
        raise ConfigError(f"{t.path}: the last -- @migration has no -- @rollback")
    return [tuple(p) for p in pairs]


def _tidy(body: str) -> str:
    body = re.sub(r"\n{3,}", "\n\n", body.strip("\n"))
    return body + "\n"


def _with_provenance(body: str, provenance: str) -> str:
    """The provenance comment goes after the no-transaction directive (which must stay the first line)."""
    first, _, rest = body.partition("\n")
    if first.strip() == "-- schemadb:no-transaction":
        return f"{first}\n-- {provenance}\n{rest}"
    return f"-- {provenance}\n{body}"
