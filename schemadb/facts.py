"""The statements of a migration file as the parser saw them, cached by the file's digest (facts_key).

Every command that needs to know what a file does (the runner's checks, no-transaction mode, lint,
validate) asks here, so each version of each file is parsed once, ever (see filecache.py).
"""

from __future__ import annotations

from pathlib import Path

from .filecache import FactsCache
from .migrations import SqlFile
from .sqltext import SqlSyntaxError, Stmt, parse

_caches: dict[str, FactsCache] = {}


def _cache_for(f: SqlFile) -> FactsCache:
    import os

    # a string key (normalised as Path would): this runs once per file of long histories
    root = os.path.normpath(os.path.dirname(os.path.dirname(f.file)))
    cache = _caches.get(root)
    if cache is None:
        cache = _caches[root] = FactsCache(Path(root))
    return cache


def statements(f: SqlFile) -> list[Stmt]:
    """The file's statements; raises SqlSyntaxError when the parser refuses it."""
    cache = _cache_for(f)
    hit = cache.get(f.facts_key)
    if isinstance(hit, dict):
        raise SqlSyntaxError(*hit["error"])
    if hit is not None:
        return [Stmt.from_json(s) for s in hit]
    try:
        found = parse(f.text, collapse=f.transactional)  # statement by statement only where it runs so
    except SqlSyntaxError as e:
        cache.put(f.facts_key, {"error": [e.message, e.offset]})
        raise
    cache.put(f.facts_key, [s.to_json() for s in found])
    return found


def save(keep: set[str] | None = None) -> None:
    """Write the caches back (keeping the checksums in `keep` when given, else every entry)."""
    for cache in _caches.values():
        cache.save(keep if keep is not None else set(cache.entries))
