"""What each statement does, in a few fields: the parse tree of libpg_query reduced to what schemadb's
checks read (the runner's transaction handling, validate, and lint).

A summary is small, plain JSON (it is cached per file checksum): `{"kind": ..., ...}` with relation
names as [schema or None, name]. Only what a check needs is kept; a statement of a kind no check reads
keeps only its kind.
"""

from __future__ import annotations

import re

Name = list  # [schema | None, name]


def _rv(node: dict | None) -> Name | None:
    if not node or "relname" not in node:
        return None
    return [node.get("schemaname"), node["relname"]]


def _names(items: list | None) -> list[str]:
    return [x.get("String", {}).get("sval", "") for x in (items or [])]


def _qualified(items: list | None) -> Name | None:
    parts = _names(items)
    if not parts or "" in parts:
        return None
    return [parts[-2] if len(parts) > 1 else None, parts[-1]]


def type_of(tn: dict | None) -> dict | None:
    """{"name": "varchar", "mods": [20], "array": false} from a TypeName node (pg_catalog dropped)."""
    if not tn:
        return None
    names = [n for n in _names(tn.get("names")) if n != "pg_catalog"]
    mods = []
    for m in tn.get("typmods") or []:
        c = m.get("A_Const", {})
        if "ival" in c:
            mods.append(c["ival"].get("ival", 0))
    return {"name": ".".join(names), "mods": mods, "array": bool(tn.get("arrayBounds"))}


def _walk(node, out: dict) -> None:
    """Collect what an expression contains: function names, subqueries, column references."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "FuncCall":
                out["funcs"].append(".".join(_names(v.get("funcname"))))
            elif k in ("SubLink", "SelectStmt"):
                out["subquery"] = True
            elif k == "ColumnRef":
                out["columns"].append(".".join(_names(v.get("fields"))))
            elif k == "SQLValueFunction":
                out["sqlvalue"].append(v.get("op", ""))
            _walk(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out)


def expr(node: dict | None) -> dict | None:
    """An expression summary: {"const": bool, "funcs": [...], "columns": [...], "sqlvalue": [...]}."""
    if node is None:
        return None
    out = {"funcs": [], "columns": [], "sqlvalue": [], "subquery": False}
    _walk(node, out)
    out["const"] = not (out["funcs"] or out["columns"] or out["subquery"])
    if "NullTest" in node:  # CHECK (col IS NOT NULL): what makes SET NOT NULL safe
        nt = node["NullTest"]
        if nt.get("nulltesttype") == "IS_NOT_NULL" and "ColumnRef" in nt.get("arg", {}):
            out["not_null_of"] = _names(nt["arg"]["ColumnRef"].get("fields"))[-1]
    return out


def constraint(c: dict) -> dict:
    out = {"type": c.get("contype", "").replace("CONSTR_", "").lower(), "name": c.get("conname"),
           "not_valid": bool(c.get("skip_validation")), "using_index": c.get("indexname"),
           "keys": _names(c.get("keys"))}
    if c.get("raw_expr") is not None:
        out["expr"] = expr(c["raw_expr"])
    if c.get("pktable"):
        out["references"] = _rv(c["pktable"])
        out["fk_columns"] = _names(c.get("fk_attrs"))
    if c.get("generated_kind"):
        out["generated"] = c["generated_kind"]  # 's' stored
    return out


def column(cd: dict) -> dict:
    cons = [constraint(c["Constraint"]) for c in cd.get("constraints") or [] if "Constraint" in c]
    out = {"name": cd.get("colname"), "type": type_of(cd.get("typeName")),
           "not_null": any(c["type"] in ("notnull", "primary") for c in cons),
           "default": next((c.get("expr") for c in cons if c["type"] == "default"), None),
           "identity": any(c["type"] == "identity" for c in cons),
           "generated": next((c.get("generated") for c in cons if c["type"] == "generated"), None),
           "references": next((c.get("references") for c in cons if c["type"] == "foreign"), None),
           "constraints": [c for c in cons if c["type"] in ("check", "unique", "primary", "exclusion")]}
    return out


def _alter_cmd(cmd: dict) -> dict:
    sub = cmd.get("subtype", "").replace("AT_", "")
    out = {"sub": sub, "name": cmd.get("name")}
    d = cmd.get("def") or {}
    if "ColumnDef" in d:
        cd = d["ColumnDef"]
        if sub == "AlterColumnType":
            out["type"] = type_of(cd.get("typeName"))
            out["using"] = cd.get("raw_default") is not None
        else:
            out["column"] = column(cd)
    elif "Constraint" in d:
        out["constraint"] = constraint(d["Constraint"])
    elif "PartitionCmd" in d:
        out["partition"] = _rv(d["PartitionCmd"].get("name"))
        out["concurrent"] = bool(d["PartitionCmd"].get("concurrent"))
        out["finalize"] = bool(d["PartitionCmd"].get("finalize"))
    elif sub in ("ColumnDefault",):
        out["default"] = expr(d) if d else None
    elif d:
        out["default"] = expr(d)
    if cmd.get("behavior") == "DROP_CASCADE":
        out["cascade"] = True
    return out


def _option(node: dict, name: str) -> bool:
    return any(p.get("DefElem", {}).get("defname") == name for p in node.get("params") or node.get("options") or [])


# COMMIT or ROLLBACK as a PL/pgSQL statement (at a statement start), once comments and strings are gone
_TX_WORDS = re.compile(r"(?:^|;|\bTHEN|\bELSE|\bLOOP|\bBEGIN)\s*(?:COMMIT|ROLLBACK)\s*(?:AND\s+(?:NO\s+)?CHAIN\s*)?;",
                       re.I)
_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.S)


def commits(body: str) -> bool:
    """Whether a DO block's body commits or rolls back (which makes it refuse a transaction block)."""
    return bool(_TX_WORDS.search(_NOISE.sub(" ", body)))


def _compact(v):
    """Drop empty and false values (readers use .get), so that cached summaries stay small."""
    if isinstance(v, dict):
        return {k: c for k, x in v.items() if (c := _compact(x)) not in (None, False, [], {}, "")}
    if isinstance(v, list):
        return [_compact(x) for x in v]
    return v


def summarize(kind: str, n: dict) -> dict:
    s = _summarize(kind, n)
    return {"kind": kind, **_compact(s)}


def _summarize(kind: str, n: dict) -> dict:  # noqa: C901 - one branch per statement kind, flat
    s: dict = {"kind": kind}
    if kind == "TransactionStmt":
        s["tx"] = n.get("kind", "")
    elif kind == "CreateStmt":
        s["table"] = _rv(n.get("relation"))
        s["columns"] = [column(e["ColumnDef"]) for e in n.get("tableElts") or [] if "ColumnDef" in e]
        s["constraints"] = [constraint(e["Constraint"]) for e in n.get("tableElts") or [] if "Constraint" in e]
        s["partitioned"] = bool(n.get("partspec"))
        s["partition_key"] = [p.get("PartitionElem", {}).get("name") for p in (n.get("partspec") or {}).get("partParams", [])]
        s["default_partition"] = bool((n.get("partbound") or {}).get("is_default"))
        s["partition_of"] = _rv((n.get("inhRelations") or [{}])[0].get("RangeVar")) if n.get("partbound") else None
        s["inherits"] = [_rv(r.get("RangeVar")) for r in n.get("inhRelations") or []]
        s["temp"] = n.get("relation", {}).get("relpersistence") == "t"
    elif kind == "CreateTableAsStmt":
        s["table"] = _rv(n.get("into", {}).get("rel"))
        s["matview"] = n.get("objtype") == "OBJECT_MATVIEW"
    elif kind == "AlterTableStmt":
        s["table"] = _rv(n.get("relation"))
        s["objtype"] = n.get("objtype", "").replace("OBJECT_", "").lower()
        s["cmds"] = [_alter_cmd(c["AlterTableCmd"]) for c in n.get("cmds") or [] if "AlterTableCmd" in c]
        s["missing_ok"] = bool(n.get("missing_ok"))
    elif kind == "IndexStmt":
        s.update(table=_rv(n.get("relation")), index=n.get("idxname"), concurrent=bool(n.get("concurrent")),
                 unique=bool(n.get("unique")), only=n.get("relation", {}).get("inh") is False,
                 if_not_exists=bool(n.get("if_not_exists")), method=n.get("accessMethod"),
                 columns=[p.get("IndexElem", {}).get("name") for p in n.get("indexParams") or []],
                 where=n.get("whereClause") is not None)
    elif kind == "DropStmt":
        objs = []
        for o in n.get("objects") or []:
            if "List" in o:
                objs.append(_qualified(o["List"].get("items")))
            elif "String" in o:
                objs.append([None, o["String"].get("sval")])
        s.update(type=n.get("removeType", "").replace("OBJECT_", "").lower(), objects=objs,
                 concurrent=bool(n.get("concurrent")), cascade=n.get("behavior") == "DROP_CASCADE",
                 missing_ok=bool(n.get("missing_ok")))
    elif kind == "RenameStmt":
        s.update(type=n.get("renameType", "").replace("OBJECT_", "").lower(), table=_rv(n.get("relation")),
                 old=n.get("subname"), new=n.get("newname"),
                 object=_qualified(n["object"]["List"]["items"]) if "List" in (n.get("object") or {}) else None)
    elif kind == "ReindexStmt":
        s.update(target=n.get("kind", "").replace("REINDEX_OBJECT_", "").lower(), relation=_rv(n.get("relation")),
                 concurrent=_option(n, "concurrently"), name=n.get("name"))
    elif kind == "VacuumStmt":
        s.update(vacuum=bool(n.get("is_vacuumcmd")), full=_option(n, "full"),
                 tables=[_rv(r.get("VacuumRelation", {}).get("relation")) for r in n.get("rels") or []])
    elif kind == "ClusterStmt":
        s["table"] = _rv(n.get("relation"))
    elif kind == "RefreshMatViewStmt":
        s.update(view=_rv(n.get("relation")), concurrent=bool(n.get("concurrent")), no_data=bool(n.get("skipData")))
    elif kind == "VariableSetStmt":
        arg = (n.get("args") or [{}])[0].get("A_Const", {})
        value = arg["sval"].get("sval") if "sval" in arg else arg.get("ival", {}).get("ival", 0) if "ival" in arg \
            else None
        s.update(set=n.get("kind", "").replace("VAR_", "").lower(), name=n.get("name"), value=value,
                 local=bool(n.get("is_local")))
    elif kind == "AlterEnumStmt":
        s.update(type=_qualified(n.get("typeName")), new=n.get("newVal"), old=n.get("oldVal"))
    elif kind == "CreateEnumStmt":
        s.update(type=_qualified(n.get("typeName")), labels=_names(n.get("vals")))
    elif kind == "CreateSchemaStmt":
        s["schema"] = n.get("schemaname")
    elif kind == "CreateDomainStmt":
        s["domain"] = _qualified(n.get("domainname"))
    elif kind == "LockStmt":
        s.update(tables=[_rv(r.get("RangeVar")) for r in n.get("relations") or []], mode=n.get("mode"))
    elif kind == "AlterDomainStmt":
        s.update(domain=_qualified(n.get("typeName")), sub=n.get("subtype"),
                 constraint=constraint(n["def"]["Constraint"]) if "Constraint" in (n.get("def") or {}) else None)
    elif kind == "TruncateStmt":
        s.update(tables=[_rv(r.get("RangeVar")) for r in n.get("relations") or []],
                 cascade=n.get("behavior") == "DROP_CASCADE")
    elif kind in ("CreatedbStmt", "DropdbStmt"):
        s["dbname"] = n.get("dbname")
    elif kind == "DoStmt":
        body = next((a["DefElem"]["arg"]["String"]["sval"] for a in n.get("args") or []
                     if a.get("DefElem", {}).get("defname") == "as"), "")
        s["commits"] = commits(body)
    elif kind in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"):
        s["table"] = _rv(n.get("relation"))
    elif kind == "ViewStmt":
        s["view"] = _rv(n.get("view"))
    elif kind == "CallStmt":
        s["call"] = ".".join(_names(n.get("funccall", {}).get("funcname")))
    return s
