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

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import nodes

from .errors import ConfigError
from .resources import sql_path
from .sqlvalues import (
    KINDS,
    Filters,
    convert,
    deparse_expression,
    derived_name,
    digest,
    fail,
    qualified_like,
)

SUFFIX = ".sql.j2"
SAFE_FILTERS = {"ident", "literal", "expr", "sqltype", "number"}
_MARK = re.compile(r"^-- @(migration|rollback)\b[ \t]*(\S*)[ \t]*$", re.M)
_HEADER_VAR = re.compile(r"^var\s+([a-z_][a-z0-9_]*)(\?)?\s*:\s*([a-z_]+)\s*(?:[—-]+\s*(.*))?$")


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
                       cast_to=lambda column, type_: deparse_expression(f"CAST({f.ident(column)} AS {type_})", "a cast"),
                       fail=fail)
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
                context[name] = convert(name, var.kind, values[name])
            except ValueError as e:
                raise ConfigError(f"{e} ({KINDS[var.kind]} is needed)") from None
        else:
            context[name] = None  # optional and not given: the template decides the default
    env = _environment(project)
    source = t.path.read_text(encoding="utf-8")
    try:
        tree = env.parse(source, name=t.name, filename=str(t.path))
        bad = _unsafe_outputs(tree)
        todo, seen = nodes_of_imports(tree), set()
        while todo:  # what it imports or includes, and what those import, are checked alike
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            sub = env.parse(env.loader.get_source(env, ref)[0])
            bad += [(line, f"{what} in {ref}") for line, what in _unsafe_outputs(sub)]
            todo += nodes_of_imports(sub)
        if bad:
            line, what = bad[0]
            raise ConfigError(f"{t.path}:{line}: prints a value ({what}) without a SQL filter "
                              f"({', '.join(sorted(SAFE_FILTERS))}): refused")
        text = env.from_string(tree).render(context)  # the tree just checked, not parsed again
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
