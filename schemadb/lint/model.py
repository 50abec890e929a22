"""What lint knows of the schema a statement runs against: the relations, their columns, sizes and constraints,
indexes, enum types and domains — from the files before it (replayed) and, with a DSN, from the live catalog.

An object created in the run being judged is *new* (empty, unseen by the application: no blocking concern). An
object that exists before the run is large and busy, unless the catalog says it is small (at most 1,000 rows and
1 MB). Without a DSN every existing object is assumed large and busy, and an object no file mentions exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

Key = tuple  # (schema, name); an unqualified name is looked up as public.name statically
SMALL_ROWS = 1000
SMALL_BYTES = 1 << 20


@dataclass
class Column:
    name: str
    type: dict | None = None  # {"name": "varchar", "mods": [20], "array": False}
    not_null: bool = False
    nn_check: bool = False  # a validated CHECK (col IS NOT NULL) exists
    has_check: bool = False  # some CHECK reads this column
    new: bool = False


@dataclass
class Relation:
    key: Key
    kind: str = "table"  # table, partitioned, matview, view
    new: bool = False
    small: bool = False
    empty: bool = False
    known: bool = True  # False: no file or catalog row describes it (assumed to exist, large and busy)
    columns: dict[str, Column] = field(default_factory=dict)
    checks: dict[str, dict] = field(default_factory=dict)  # name -> {"validated", "not_null_of", "columns"}
    partition_key: list[str] = field(default_factory=list)
    has_default: bool = False  # a partitioned table with a DEFAULT partition

    @property
    def label(self) -> str:
        return ".".join(x for x in self.key if x)

    def copy(self) -> Relation:
        """A copy whose columns and checks can change without changing this one."""
        from dataclasses import replace

        return replace(self, columns={k: replace(c) for k, c in self.columns.items()},
                       checks={k: dict(v) for k, v in self.checks.items()}, partition_key=list(self.partition_key))

    @property
    def quiet(self) -> bool:
        """New or small: a lock on it stalls nobody."""
        return self.new or self.small


def key_of(name: list | tuple | None, default_schema: str = "public") -> Key | None:
    if not name:
        return None
    return (name[0] or default_schema, name[1])


class Catalog:
    """Lookups in the live catalog of the connection (one query per object, each cached)."""

    def __init__(self, conn):
        from ..resources import read_sql

        self.conn = conn
        self._relation_sql = read_sql("queries", "lint_relation.sql")
        self._volatile_sql = read_sql("queries", "lint_volatile.sql")
        self._type_sql = read_sql("queries", "lint_type.sql")

    def relation(self, key: Key, unqualified: bool) -> Relation | None:
        row = self.conn.execute(self._relation_sql, (_quoted([None if unqualified else key[0], key[1]]),)).fetchone()
        if row is None or row[0] is None:
            return None
        r = row[0] if isinstance(row[0], dict) else json.loads(row[0])
        rel = Relation((r["schema"], r["name"]), kind=r["kind"], small=r["rows"] <= SMALL_ROWS and
                       r["bytes"] <= SMALL_BYTES, empty=r["bytes"] == 0, partition_key=r.get("partition_key") or [],
                       has_default=bool(r.get("has_default")))
        for c in r.get("columns") or []:
            rel.columns[c["name"]] = Column(c["name"], {"name": c["type"], "mods": c["mods"], "array": c["array"]},
                                            c["not_null"], c["nn_check"], c["has_check"])
        for ch in r.get("checks") or []:
            rel.checks[ch["name"]] = {"validated": ch["validated"], "not_null_of": ch.get("not_null_of"),
                                      "columns": ch.get("columns") or []}
        return rel

    def volatile(self, funcs: list[str]) -> list[str]:
        if not funcs:
            return []
        return [r[0] for r in self.conn.execute(self._volatile_sql, ([f.split(".")[-1] for f in funcs],))]

    def type_exists(self, key: Key) -> bool:
        return self.conn.execute(self._type_sql, (_quoted(list(key)),)).fetchone()[0] is not None


class Model:
    """The schema as of the statement being judged. `child()` gives a layer whose changes stay its own (for a
    rollback judged after its migration, without changing what the next migration sees)."""

    def __init__(self, catalog: Catalog | None = None, parent: Model | None = None):
        self.catalog = catalog if parent is None else parent.catalog
        self.parent = parent
        self.relations: dict[Key, Relation | None] = _Tracked()  # None: dropped
        self.indexes: dict[Key, tuple | None] = _Tracked()  # index -> (its table, new, its columns)
        self.types: dict[Key, bool | None] = _Tracked()  # enum types and domains -> new
        self.schemas: dict[str, bool | None] = _Tracked()  # schemas created in the run -> new
        self._index_cache: dict[Key, Key | None] = {}

    def child(self) -> Model:
        return Model(parent=self)

    # -- lookups --
    def _get(self, attr: str, key):
        m = self
        while m is not None:
            d = getattr(m, attr)
            if key in d:
                return d[key], True
            m = m.parent
        return None, False

    def relation(self, name, create_unknown: bool = True) -> Relation | None:
        key = key_of(name)
        if key is None:
            return None
        rel, found = self._get("relations", key)
        if found:
            return rel
        if self.catalog is not None:
            rel = self.catalog.relation(key, unqualified=name[0] is None)
            if rel is not None:
                self._root().relations[key] = rel
                return rel
        if not create_unknown:
            return None
        rel = Relation(key, known=False)  # exists, large and busy: what production would be
        self._root().relations[key] = rel
        return rel

    def own(self, rel: Relation) -> Relation:
        """The relation as this layer may change it (a copy in a child layer)."""
        if rel.key in self.relations or self.parent is None:
            self.relations[rel.key] = rel
            return rel
        mine = rel.copy()
        self.relations[rel.key] = mine
        return mine

    def index_table(self, name) -> tuple[Relation | None, bool]:
        """The table an index belongs to, and whether the index is new."""
        key = key_of(name)
        entry, found = self._get("indexes", key)
        if found and entry is not None:
            return self.relation([entry[0][0], entry[0][1]]), entry[1]
        if self.catalog is not None:
            row = self.catalog.conn.execute(
                "SELECT n.nspname, c.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c"
                " ON c.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " WHERE i.indexrelid = pg_catalog.to_regclass(%s)", (_quoted(name),)).fetchone()
            if row:
                return self.relation(list(row)), False
        return None, False

    def type_is_new(self, name) -> bool:
        v, found = self._get("types", key_of(name))
        return bool(v) if found else False

    def _root(self) -> Model:
        m = self
        while m.parent is not None:
            m = m.parent
        return m

    # -- changes --
    def settle(self) -> None:
        """The run so far is applied and in use: nothing in it is new any more (the next file is judged as
        production would see it). Only what was written since the last settle is visited: a long history is
        linted in time that grows with its length, not with its square."""
        for k in self.relations.take():
            rel = self.relations.get(k)
            if rel is not None:
                rel.new = False
                for c in rel.columns.values():
                    c.new = False
        for k in self.indexes.take():
            v = self.indexes.get(k)
            if v is not None:
                dict.__setitem__(self.indexes, k, (v[0], False, *v[2:]))
        for attr in ("types", "schemas"):
            d = getattr(self, attr)
            for k in d.take():
                if d.get(k) is not None:
                    dict.__setitem__(d, k, False)


class _Tracked(dict):
    """A dict that remembers the keys written since it was last asked (Model.settle visits only those)."""

    def __init__(self):
        super().__init__()
        self.written: set = set()

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.written.add(key)

    def setdefault(self, key, default=None):
        self.written.add(key)
        return super().setdefault(key, default)

    def take(self) -> set:
        out, self.written = self.written, set()
        return out


def _quoted(name) -> str:
    if name[0]:
        return '"' + name[0].replace('"', '""') + '"."' + name[1].replace('"', '""') + '"'
    return '"' + name[1].replace('"', '""') + '"'
