"""What each statement makes known to the lint's model of the database (tables and their columns, checks,
indexes, types, schemas) and to the state of the open transaction: the later statements are judged with it."""

from __future__ import annotations

from ..sqltext import Stmt
from .model import Column, Relation, key_of


class Effects:
    """Mixed into the Linter: needs self.model, self.tx, self._in_tx()."""

    def _apply(self, s: Stmt) -> None:  # noqa: C901 - one branch per statement kind, flat
        p, k, m = s.props, s.kind, self.model
        if k == "CreateStmt" and p.get("table"):
            key = key_of(p["table"])
            rel = Relation(key, kind="partitioned" if p.get("partitioned") else "table", new=True,
                           partition_key=p.get("partition_key") or [])
            for c in p.get("columns") or []:
                rel.columns[c["name"]] = Column(c["name"], c.get("type"), c.get("not_null", False), new=True,
                                                has_check=any(x.get("type") == "check" for x in c.get("constraints")
                                                              or []))
            for con in p.get("constraints") or []:
                self._record_check(rel, con)
            m.relations[key] = rel
            if p.get("partition_of") and p.get("default_partition"):
                parent = m.relation(p["partition_of"])
                m.own(parent).has_default = True
        elif k == "CreateTableAsStmt" and p.get("table"):
            key = key_of(p["table"])
            m.relations[key] = Relation(key, kind="matview" if p.get("matview") else "table", new=True)
        elif k == "IndexStmt" and p.get("index") and p.get("table"):
            rel = m.relation(p["table"])
            m.indexes[(rel.key[0], p["index"])] = (rel.key, True, [c for c in p.get("columns") or [] if c])
        elif k == "DropStmt":
            for obj in p.get("objects") or []:
                if obj and p.get("type") in ("table", "materialized_view", "matview", "view"):
                    m.relations[key_of(obj)] = None
                elif obj and p.get("type") == "index":
                    m.indexes[key_of(obj)] = None
                elif obj and p.get("type") in ("type", "domain"):
                    m.types[key_of(obj)] = None
        elif k == "CreateSchemaStmt" and p.get("schema"):
            m.schemas[p["schema"]] = True
        elif k in ("CreateEnumStmt", "CreateDomainStmt"):
            key = key_of(p.get("type") or p.get("domain"))
            if key:
                m.types[key] = True
        elif k == "RenameStmt" and p.get("type") == "table" and p.get("table"):
            rel = m.relation(p["table"])
            new_key = (rel.key[0], p.get("new"))
            moved = rel.copy()
            moved.key = new_key
            m.relations[rel.key] = None
            m.relations[new_key] = moved
        elif k == "RenameStmt" and p.get("type") == "column" and p.get("table"):
            rel = m.own(m.relation(p["table"]))
            col = rel.columns.pop(p.get("old"), None)
            if col is not None:
                col.name = p.get("new")
                rel.columns[col.name] = col
        elif k == "AlterTableStmt" and p.get("table") and p.get("objtype") in ("table", None):
            rel = m.own(m.relation(p["table"]))
            for cmd in p.get("cmds", []):
                self._apply_alter(rel, cmd)
        elif k == "LockStmt" and p.get("mode") == 8 and self._in_tx():
            for t in p.get("tables") or []:
                rel = m.relation(t)
                self.tx.exclusive.setdefault(rel.key, s.start)
        elif k == "TruncateStmt" and self._in_tx():
            for t in p.get("tables") or []:
                self.tx.exclusive.setdefault(m.relation(t).key, s.start)

    def _apply_alter(self, rel: Relation, cmd: dict) -> None:
        sub, name = cmd.get("sub"), cmd.get("name")
        if sub == "AddColumn":
            c = cmd.get("column") or {}
            rel.columns[c.get("name")] = Column(c.get("name"), c.get("type"), c.get("not_null", False), new=True)
        elif sub == "DropColumn":
            rel.columns.pop(name, None)
        elif sub == "AlterColumnType" and name in rel.columns:
            rel.columns[name].type = cmd.get("type")
        elif sub == "SetNotNull":
            rel.columns.setdefault(name, Column(name)).not_null = True
        elif sub == "DropNotNull" and name in rel.columns:
            rel.columns[name].not_null = False
        elif sub == "AddConstraint":
            con = cmd.get("constraint") or {}
            self._record_check(rel, con)
            if con.get("not_valid") and self._in_tx():
                self.tx.not_valid.add((rel.key, con.get("name")))
        elif sub == "ValidateConstraint" and name in rel.checks:
            rel.checks[name]["validated"] = True
            of = rel.checks[name].get("not_null_of")
            if of:
                rel.columns.setdefault(of, Column(of)).nn_check = True
        elif sub == "DropConstraint":
            rel.checks.pop(name, None)

    @staticmethod
    def _record_check(rel: Relation, con: dict) -> None:
        if con.get("type") != "check":
            return
        e = con.get("expr") or {}
        cols = [c.split(".")[-1] for c in e.get("columns") or []]
        validated = not con.get("not_valid")
        rel.checks[con.get("name") or f"check{len(rel.checks)}"] = {
            "validated": validated, "not_null_of": e.get("not_null_of"), "columns": cols}
        for c in cols:
            if c in rel.columns:
                rel.columns[c].has_check = True
        if validated and e.get("not_null_of"):
            rel.columns.setdefault(e["not_null_of"], Column(e["not_null_of"])).nn_check = True
