"""Judging statements: each statement of each file of a run, in order, against the model of the schema as it
stands before it (what earlier statements and files created is new; see model.py), then applied to the model.

The transaction a statement runs in is known: a transactional file is one transaction; in a no-transaction file,
BEGIN … COMMIT groups one and every other statement commits alone.
"""

from __future__ import annotations

import re

from ..config import format_duration_ms, parse_duration_ms
from ..sqltext import SqlSyntaxError, Stmt, position_to_line_col, refused_in_transaction, transaction_control
from .effects import Effects
from .findings import Finding, Params, finding_fix
from .model import Model, Relation
from .rules import RULES, severity

# functions whose value differs per row: a default calling one rewrites the table (without a catalog to ask)
VOLATILE = {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
            "clock_timestamp", "timeofday", "nextval", "setseed", "txid_current", "pg_current_xact_id", "uuidv7",
            "uuid_generate_v7", "gen_random_bytes", "random_normal"}
SERIAL = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
# ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (the rest take it)
WEAKER = {"ValidateConstraint", "SetStatistics", "ClusterOn", "DropCluster", "AttachPartition", "DetachPartition",
          "SetOptions", "ResetOptions", "EnableTrig", "DisableTrig", "EnableTrigAll", "DisableTrigAll",
          "EnableTrigUser", "DisableTrigUser", "SetRelOptions", "ResetRelOptions", "ReplicaIdentity",
          "SetCompression", "DetachPartitionFinalize"}
ALLOW = re.compile(r"^[ \t]*--[ \t]*schemadb:allow[ \t]+([A-Za-z0-9_-]+)[ \t]*(.*?)[ \t]*$", re.M)


def _columns(p: dict) -> str | None:
    """An index's columns, comma-separated, when each is a plain column (not an expression)."""
    cols = p.get("columns") or []
    return ",".join(cols) if cols and all(cols) else None


def _binary_coercible(old: dict, new: dict) -> bool:
    """A type change PostgreSQL makes without rewriting (or scanning) the table."""
    if old is None or new is None or bool(old.get("array")) != bool(new.get("array")):
        return False
    o, n, om, nm = old["name"], new["name"], old.get("mods") or [], new.get("mods") or []
    if o == n and om == nm:
        return True
    text_like = {"varchar", "text"}
    if o in text_like and n == "text":
        return True
    if o == "varchar" and n == "varchar":
        return not nm or (om and nm[0] >= om[0])
    if o == "text" and n == "varchar":
        return not nm
    if o == "numeric" and n == "numeric":
        return not nm or (len(om) == 2 and len(nm) == 2 and nm[1] == om[1] and nm[0] >= om[0])
    if o == "cidr" and n == "inet":
        return True
    if o in ("bit varying", "varbit") and n in ("bit varying", "varbit"):
        return not nm or (om and nm[0] >= om[0])
    return False


def _type_label(t: dict | None) -> str:
    if not t:
        return "?"
    return t["name"] + (f"({','.join(map(str, t['mods']))})" if t.get("mods") else "") + ("[]" if t.get("array") else "")


class _Tx:
    """What the current transaction holds: ACCESS EXCLUSIVE locks, constraints added NOT VALID, enum values
    added (to an enum type that was not created in it)."""

    def __init__(self, at: int):
        self.at = at  # where it began (an offset in the file: lines are counted only for a finding)
        self.exclusive: dict = {}  # table key -> offset of the statement that took the lock
        self.not_valid: set = set()  # (table key, constraint name)
        self.enum_values: dict = {}  # value -> (type label, offset)


class Linter(Effects):
    def __init__(self, model: Model, strict: bool = False, lock_timeout_ms: int = 200, volatile=None):
        self.model = model
        self.strict = strict
        self.cap_ms = lock_timeout_ms
        self._volatile = volatile  # callable(funcs) -> volatile ones, from the catalog

    # -- one file --
    def lint_file(self, f, display: str, stmts: list[Stmt] | None, rollback: bool = False) -> list[Finding]:
        from .. import facts

        self.out: list[Finding] = []
        self.rollback = rollback
        self.display, self.version, self.file, self._text = display, f.version, f, None
        # allow directives are looked for only in a file that has one (they are what makes its facts key differ
        # from its checksum); the text is read only for them or for a finding's position
        allows = f.facts_key != f.checksum
        if stmts is None:
            try:
                stmts = facts.statements(f)
            except SqlSyntaxError as e:
                line, col = position_to_line_col(self.text, e.offset)
                self.out.append(Finding(display, line, col, "syntax-error", "error", e.message,
                                        finding_fix("syntax-error", {}), f.version))
                return self.out
        transactional = f.transactional
        self.tx: _Tx | None = _Tx(0) if transactional else None
        prev_end = 0
        for s in stmts:
            self.here = s
            self.found: list[tuple[str, dict]] = []
            self._tx_control(s, transactional)
            if s.kind != "TransactionStmt":
                self._check(s)
                self._enum_use(s)
            if self.found or allows:
                self._emit(s, self.text[prev_end:s.start] if allows else "")
            self._apply(s)
            prev_end = s.end
        if self.tx is not None and not transactional:
            self.out.append(self._finding("ban-uncommitted-transaction", {"line": self._line_at(self.tx.at)},
                                          stmts[-1].start))
        return self.out

    # -- findings --
    def _flag(self, rule_id: str, **params) -> None:
        if self.rollback and RULES[rule_id].group == "breaking":
            return
        self.found.append((rule_id, params))

    def _finding(self, rule_id: str, params: dict, offset: int) -> Finding:
        line, col = position_to_line_col(self.text, offset)
        return Finding(self.display, line, col, rule_id, severity(rule_id, self.strict),
                       RULES[rule_id].message.format_map(Params(params)), finding_fix(rule_id, params), self.version)

    def _emit(self, s: Stmt, gap: str) -> None:
        allows = [(m.group(1), m.group(2), self.here.start - len(gap) + m.start()) for m in ALLOW.finditer(gap)]
        used = set()
        for rule_id, params in self.found:
            f = self._finding(rule_id, params, s.start)
            for i, (rid, reason, _) in enumerate(allows):
                if rid == rule_id and reason:
                    f.allowed = reason
                    used.add(i)
            self.out.append(f)
        for i, (rid, reason, at) in enumerate(allows):
            if rid not in RULES or RULES[rid].group == "directive":
                self.out.append(self._finding("unknown-rule", {"rule": rid}, at))
            elif not reason:
                self.out.append(self._finding("allow-without-reason", {"rule": rid}, at))
            elif i not in used:
                self.out.append(self._finding("unused-allow", {"rule": rid}, at))

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.file.text
        return self._text

    def _line_at(self, offset: int) -> int:
        return position_to_line_col(self.text, offset)[0]

    # -- transactions --
    def _tx_control(self, s: Stmt, transactional: bool) -> None:
        tx = transaction_control(s)
        if tx is None:
            return
        if transactional:
            self._flag("transaction-nesting", tx=tx)
        elif tx in ("BEGIN", "START"):
            self.tx = _Tx(s.start) if self.tx is None else self.tx
        else:
            self.tx = None

    def _in_tx(self) -> bool:
        return self.tx is not None

    def _enum_use(self, s: Stmt) -> None:
        if self.tx is None or not self.tx.enum_values or s.kind == "AlterEnumStmt":
            return
        body = self.text[s.start:s.end]
        for value, (type_label, line) in self.tx.enum_values.items():
            if "'" + value.replace("'", "''") + "'" in body:
                self._flag("enum-value-used-in-same-transaction", value=value, type=type_label,
                           added_line=self._line_at(line))

    # -- the checks, by statement kind --
    def _rel(self, name) -> Relation | None:
        return self.model.relation(name) if name else None

    # A rollback runs after its migration has been in use: nothing it touches counts as new, only as small.
    def _new(self, obj) -> bool:
        return obj.new and not self.rollback

    def _quiet(self, rel: Relation) -> bool:
        return rel.small or self._new(rel)

    def _type_new(self, name) -> bool:
        return self.model.type_is_new(name) and not self.rollback

    def _check(self, s: Stmt) -> None:  # noqa: C901 - one branch per statement kind, flat
        p, k = s.props, s.kind
        why = refused_in_transaction(s)
        if why and self._in_tx():
            if k == "IndexStmt":
                rel = self._rel(p.get("table"))
                self._flag("ban-concurrent-index-creation-in-transaction", table=rel.label if rel else None,
                           index=p.get("index"), columns=_columns(p))
            else:
                self._flag("no-transaction-required", what=why)
        if k == "IndexStmt":
            rel = self._rel(p.get("table"))
            if rel is not None and not p.get("concurrent") and not self._quiet(rel):
                self._flag("require-concurrent-index-creation", table=rel.label, index=p.get("index"),
                           columns=_columns(p))
        elif k == "DropStmt":
            self._check_drop(p)
        elif k == "ReindexStmt" and not p.get("concurrent") and p.get("target") in ("index", "table"):
            if p["target"] == "index":
                rel, new = self.model.index_table(p.get("relation"))
                target = ".".join(x for x in p.get("relation") or [] if x)
            else:
                rel, new, target = self._rel(p.get("relation")), False, "table"
            if not (new and not self.rollback) and (rel is None or not self._quiet(rel)):
                self._flag("require-concurrent-reindex", target=target, table=rel.label if rel else "its table")
        elif k == "RefreshMatViewStmt" and not p.get("concurrent"):
            rel = self._rel(p.get("view"))
            if rel is not None and not self._quiet(rel):
                self._flag("require-concurrent-refresh", view=rel.label)
        elif k == "VacuumStmt" and p.get("full"):
            for t in p.get("tables") or [None]:
                rel = self._rel(t)
                if rel is None or not self._quiet(rel):
                    self._flag("rewrites-table", what="VACUUM FULL", table=rel.label if rel else "every table")
        elif k == "ClusterStmt" and p.get("table"):
            rel = self._rel(p["table"])
            if not self._quiet(rel):
                self._flag("rewrites-table", what="CLUSTER", table=rel.label)
        elif k == "AlterTableStmt" and p.get("objtype") in ("table", None):
            rel = self._rel(p.get("table"))
            if rel is not None:
                for cmd in p.get("cmds", []):
                    self._check_alter(rel, cmd)
        elif k == "RenameStmt":
            self._check_rename(p)
        elif k == "AlterEnumStmt":
            new_type = self._type_new(p.get("type"))
            label = ".".join(x for x in p.get("type") or [] if x)
            if p.get("old") and not new_type:
                self._flag("renaming-enum-value", old=p["old"], type=label)
            elif p.get("new") and self._in_tx() and not new_type:
                self.tx.enum_values[p["new"]] = (label, s.start)
        elif k == "AlterDomainStmt" and p.get("sub") == "C" and not (p.get("constraint") or {}).get("not_valid"):
            if not self._type_new(p.get("domain")):
                self._flag("ban-alter-domain-with-add-constraint",
                           domain=".".join(x for x in p.get("domain") or [] if x))
        elif k == "TruncateStmt" and p.get("cascade"):
            for t in p.get("tables", []):
                rel = self._rel(t)
                if rel is not None and not self._new(rel):
                    self._flag("ban-truncate-cascade", table=rel.label)
        elif k == "DropdbStmt":
            self._flag("ban-drop-database", name=p.get("dbname"))
        elif k == "VariableSetStmt" and (p.get("name") == "lock_timeout" or p.get("set") == "reset_all"):
            self._check_lock_timeout(p)
        elif k in ("UpdateStmt", "DeleteStmt") and self._in_tx():
            rel = self._rel(p.get("table"))
            if rel is not None and rel.key in self.tx.exclusive and not self._quiet(rel):
                self._flag("backfill-in-ddl-transaction", verb=k[:-4].upper(), table=rel.label,
                           ddl_line=f"at line {self._line_at(self.tx.exclusive[rel.key])}")

    def _check_drop(self, p: dict) -> None:
        kind = p.get("type")
        for obj in p.get("objects") or []:
            if not obj:
                continue
            if kind == "index" and not p.get("concurrent"):
                rel, new = self.model.index_table(obj)
                if not (new and not self.rollback) and (rel is None or not self._quiet(rel)):
                    self._flag("require-concurrent-index-deletion", index=".".join(x for x in obj if x),
                               table=rel.label if rel else "its table")
            elif kind == "table":
                rel = self.model.relation(obj, create_unknown=not p.get("missing_ok"))
                if rel is not None and not self._new(rel):
                    self._flag("ban-drop-table", table=rel.label)

    def _check_alter(self, rel: Relation, cmd: dict) -> None:  # noqa: C901 - one branch per subcommand
        sub, name = cmd.get("sub"), cmd.get("name")
        col = rel.columns.get(name) if name else None
        if sub == "AddColumn":
            c = cmd.get("column") or {}
            default = c.get("default")
            if c.get("not_null") and default is None and not (c.get("identity") or c.get("generated")) \
                    and not self._new(rel) and not (rel.known and rel.empty and self.model.catalog is not None):
                self._flag("adding-required-field", column=c.get("name"), table=rel.label)
            if not self._quiet(rel):
                why = self._rewriting_default(c)
                if why:
                    self._flag("adding-field-with-default", column=c.get("name"), why=why, table=rel.label)
                if c.get("references") and default is not None:
                    self._flag("adding-foreign-key-constraint", name=f"of {c.get('name')}", table=rel.label,
                               references=".".join(x for x in c["references"] if x))
                for con in c.get("constraints") or []:
                    if con.get("type") == "unique":
                        self._flag("disallowed-unique-constraint", table=rel.label)
                    elif con.get("type") == "primary":
                        self._flag("adding-serial-primary-key-field", table=rel.label)
        elif sub == "AlterColumnType" and not self._quiet(rel) and not (col and self._new(col)):
            new = cmd.get("type")
            old = col.type if col else None
            change = f"from {_type_label(old)} to {_type_label(new)}" if old else f"to {_type_label(new)}"
            if old is None:
                self._flag("changing-column-type", table=rel.label, column=name, change=change,
                           why="rewrites the table and its indexes (its current type is not known here)")
            elif cmd.get("using") or not _binary_coercible(old, new):
                self._flag("changing-column-type", table=rel.label, column=name, change=change,
                           why="rewrites the table and its indexes")
            elif col.has_check and old != new:
                self._flag("changing-column-type", table=rel.label, column=name, change=change,
                           why="re-checks its CHECK constraint over every row")
        elif sub == "SetNotNull" and not self._quiet(rel) and not (col and (self._new(col) or col.nn_check or col.not_null)):
            self._flag("adding-not-nullable-field", how="SET NOT NULL", table=rel.label, column=name)
        elif sub == "AddConstraint":
            self._check_constraint(rel, cmd.get("constraint") or {})
        elif sub == "ValidateConstraint" and self._in_tx() and (rel.key, name) in self.tx.not_valid and not self._quiet(rel):
            self._flag("constraint-missing-not-valid", table=rel.label,
                       what=f"VALIDATE CONSTRAINT {name} in the transaction that added it NOT VALID")
        elif sub in ("SetLogged", "SetUnLogged", "SetTableSpace", "SetAccessMethod") and not self._quiet(rel):
            what = {"SetLogged": "SET LOGGED", "SetUnLogged": "SET UNLOGGED", "SetTableSpace": "SET TABLESPACE",
                    "SetAccessMethod": "SET ACCESS METHOD"}[sub]
            self._flag("rewrites-table", what=what, table=rel.label)
        elif sub == "AttachPartition":
            part = self._rel(cmd.get("partition"))
            if part is not None and not self._quiet(part) and not self._bound_checked(rel, part):
                self._flag("attach-partition-scan", partition=part.label, table=rel.label)
        elif sub == "DetachPartition" and not cmd.get("concurrent") and not self._quiet(rel):
            self._flag("require-concurrent-partition-detach", table=rel.label,
                       partition=".".join(x for x in cmd.get("partition") or [] if x))
        elif sub == "DropColumn" and not self._new(rel) and not (col and self._new(col)):
            self._flag("ban-drop-column", table=rel.label, column=name)
        if self._in_tx() and sub not in WEAKER and not (sub == "AddConstraint" and
                                                        (cmd.get("constraint") or {}).get("type") == "foreign"):
            self.tx.exclusive.setdefault(rel.key, self.here.start)

    def _check_constraint(self, rel: Relation, c: dict) -> None:
        t = c.get("type")
        if self._quiet(rel):
            return
        if t == "check" and not c.get("not_valid"):
            self._flag("constraint-missing-not-valid", table=rel.label,
                       what=f"ADD CONSTRAINT {c.get('name') or ''} CHECK".replace("  ", " "))
        elif t == "foreign" and not c.get("not_valid"):
            self._flag("adding-foreign-key-constraint", name=c.get("name") or "", table=rel.label,
                       references=".".join(x for x in c.get("references") or [] if x))
        elif t == "unique" and not c.get("using_index"):
            self._flag("disallowed-unique-constraint", table=rel.label)
        elif t == "primary" and not c.get("using_index"):
            self._flag("adding-serial-primary-key-field", table=rel.label)
        elif t == "primary":
            for column in self._index_columns(c["using_index"], rel):
                col = rel.columns.get(column)
                if not (col and (col.not_null or col.nn_check or self._new(col))):
                    self._flag("adding-not-nullable-field", how="PRIMARY KEY USING INDEX", table=rel.label,
                               column=column)
        elif t == "exclusion":
            self._flag("adding-exclusion-constraint", table=rel.label)

    def _index_columns(self, index: str, rel: Relation) -> list[str]:
        entry, found = self.model._get("indexes", (rel.key[0], index))
        if found and entry is not None and len(entry) > 2:
            return entry[2]
        if self.model.catalog is not None:
            row = self.model.catalog.conn.execute(
                "SELECT array_agg(a.attname ORDER BY k.i) FROM pg_catalog.pg_index x,"
                " unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, i)"
                " JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
                " WHERE x.indexrelid = pg_catalog.to_regclass(%s)", (f'"{rel.key[0]}"."{index}"',)).fetchone()
            return list(row[0] or []) if row else []
        return []

    def _bound_checked(self, parent: Relation, part: Relation) -> bool:
        keys = set(parent.partition_key)
        return bool(keys) and any(ch.get("validated") and keys <= set(ch.get("columns") or [])
                                  for ch in part.checks.values())

    def _rewriting_default(self, c: dict) -> str | None:
        t = (c.get("type") or {}).get("name", "")
        if t in SERIAL:
            return f"type {t} (a sequence default)"
        if c.get("identity"):
            return "GENERATED … AS IDENTITY"
        if c.get("generated"):
            return "GENERATED ALWAYS AS … STORED"
        funcs = (c.get("default") or {}).get("funcs") or []
        if not funcs:
            return None
        if self._volatile is not None:
            volatile = self._volatile(funcs)
        else:
            volatile = [f for f in funcs if f.split(".")[-1] in VOLATILE]
        return f"the volatile default {volatile[0]}()" if volatile else None

    def _check_rename(self, p: dict) -> None:
        kind = p.get("type")
        if kind == "column":
            rel = self._rel(p.get("table"))
            col = rel.columns.get(p.get("old")) if rel else None
            if rel is not None and not self._new(rel) and not (col and self._new(col)):
                self._flag("renaming-column", table=rel.label, old=p.get("old"), new=p.get("new"))
        elif kind == "table":
            rel = self._rel(p.get("table"))
            if rel is not None and not self._new(rel):
                self._flag("renaming-table", old=rel.label, new=p.get("new"))
        elif kind == "schema":
            new, found = self.model._get("schemas", p.get("old"))
            if not (found and new and not self.rollback):
                self._flag("renaming-schema", old=p.get("old"), new=p.get("new"))

    def _check_lock_timeout(self, p: dict) -> None:
        cap = format_duration_ms(self.cap_ms)
        kind = p.get("set")
        if kind == "reset_all":
            self._flag("lock-timeout-overridden", what="RESET ALL", cap=cap)
        elif kind in ("reset", "set_default"):
            self._flag("lock-timeout-overridden", what="RESET lock_timeout", cap=cap)
        elif kind == "set_value":
            raw = p.get("value", 0)
            try:
                ms = parse_duration_ms(str(raw) + ("ms" if isinstance(raw, int) or str(raw).isdigit() else ""),
                                       "lock_timeout")
            except Exception:
                return
            if ms == 0 or ms > self.cap_ms:
                self._flag("lock-timeout-overridden", what=f"SET lock_timeout = {raw!r}" if not isinstance(raw, int)
                           else f"SET lock_timeout = {raw}", cap=cap)

    # -- the model after the statement --
