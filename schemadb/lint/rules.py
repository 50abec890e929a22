"""The rules: ids (part of the command-line contract: scripts and allow directives name them; squawk's id where
squawk has the same rule), their group, and the one place that knows each finding's text and fix.

Groups: "lock" (a lock or a rewrite that stalls the application: errors, on tables that are neither new in this
run nor small), "failure" (fails on a live database or under schemadb's transaction handling: always errors),
"breaking" (breaks running clients: warnings, errors with --strict), "directive" (about allow directives: warnings).
Rollback files are judged by the "lock" and "failure" rules only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    group: str
    message: str  # str.format(**params)
    fix: str
    template: str | None = None  # the `schemadb new --template` that writes the safe way


def _r(id, group, message, fix, template=None):
    return id, Rule(id, group, message, fix, template)


RULES: dict[str, Rule] = dict([
    # --- locks and rewrites ---
    _r("require-concurrent-index-creation", "lock",
       "CREATE INDEX on {table} blocks its writes for the whole build",
       "build it with CREATE INDEX CONCURRENTLY in a file that starts with -- schemadb:no-transaction",
       "add-index"),
    _r("require-concurrent-index-deletion", "lock",
       "DROP INDEX {index} takes an ACCESS EXCLUSIVE lock on {table}",
       "use DROP INDEX CONCURRENTLY in a file that starts with -- schemadb:no-transaction", "drop-index"),
    _r("require-concurrent-reindex", "lock",
       "REINDEX of {target} blocks writes to {table} while it rebuilds",
       "use REINDEX … CONCURRENTLY in a file that starts with -- schemadb:no-transaction"),
    _r("require-concurrent-refresh", "lock",
       "REFRESH MATERIALIZED VIEW {view} blocks every read of it until the refresh ends",
       "use REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index on the view), or schemadb "
       "refresh-views"),
    _r("require-concurrent-partition-detach", "lock",
       "DETACH PARTITION {partition} takes an ACCESS EXCLUSIVE lock on {table}",
       "use DETACH PARTITION … CONCURRENTLY in a file that starts with -- schemadb:no-transaction (not possible "
       "while the table has a DEFAULT partition)"),
    _r("constraint-missing-not-valid", "lock",
       "{what} on {table} scans every row under a lock that blocks writes",
       "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation takes a weaker lock)",
       "add-check"),
    _r("adding-foreign-key-constraint", "lock",
       "the foreign key {name} on {table} is validated by scanning it while writes to {table} and {references} "
       "are blocked",
       "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration", "add-foreign-key"),
    _r("disallowed-unique-constraint", "lock",
       "ADD UNIQUE on {table} builds its index under an ACCESS EXCLUSIVE lock",
       "CREATE UNIQUE INDEX CONCURRENTLY first (no-transaction file), then ADD CONSTRAINT … UNIQUE USING INDEX",
       "add-unique"),
    _r("adding-serial-primary-key-field", "lock",
       "ADD PRIMARY KEY on {table} builds its index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock",
       "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … PRIMARY KEY USING INDEX (with the columns "
       "already NOT NULL)"),
    _r("adding-exclusion-constraint", "lock",
       "ADD EXCLUDE on {table} builds its index under an ACCESS EXCLUSIVE lock (it cannot be built concurrently)",
       "create the constraint on a new table and move the rows, or run it in a maintenance window (allow it)"),
    _r("ban-alter-domain-with-add-constraint", "lock",
       "ALTER DOMAIN {domain} ADD CONSTRAINT checks every column of that domain in every table",
       "add it NOT VALID, then ALTER DOMAIN … VALIDATE CONSTRAINT in a later migration"),
    _r("adding-not-nullable-field", "lock",
       "{how} on {table}.{column} scans the table under an ACCESS EXCLUSIVE lock",
       "first ADD CONSTRAINT … CHECK ({column} IS NOT NULL) NOT VALID and VALIDATE it (in a later migration); "
       "SET NOT NULL then uses it and scans nothing", "add-not-null"),
    _r("adding-field-with-default", "lock",
       "ADD COLUMN {column} with {why} rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock",
       "add the column without it (or with a constant default), then fill it in batches", "add-column"),
    _r("changing-column-type", "lock",
       "changing {table}.{column} {change} {why} under an ACCESS EXCLUSIVE lock",
       "add a new column, fill it in batches, then switch readers and drop the old one; widening varchar(n) or "
       "going to text is free", "change-column-type"),
    _r("rewrites-table", "lock",
       "{what} rewrites {table} under an ACCESS EXCLUSIVE lock",
       "pg_repack or a new table filled in batches; or allow it for a maintenance window"),
    _r("attach-partition-scan", "lock",
       "ATTACH PARTITION {partition} scans it (and the DEFAULT partition of {table}, if any) to prove the bound",
       "first ADD a CHECK constraint matching the bound to the table (validated), and one excluding it to the "
       "DEFAULT partition; then ATTACH scans nothing"),
    _r("backfill-in-ddl-transaction", "lock",
       "{verb} of {table} in the transaction that holds an ACCESS EXCLUSIVE lock on it (statement {ddl_line}): "
       "every query on {table} waits until the whole backfill commits",
       "do the DDL and the backfill in separate migrations; backfill in batches"),
    _r("lock-timeout-overridden", "lock",
       "{what} undoes the runner's lock_timeout ({cap}): the statements after it may queue the application "
       "behind them without bound",
       "remove it: the runner's --lock-timeout and --lock-retry-for decide how long each statement waits"),
    # --- failures on a live database or under schemadb's transaction handling ---
    _r("ban-concurrent-index-creation-in-transaction", "failure",
       "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
       "start the file with -- schemadb:no-transaction (and keep it out of BEGIN … COMMIT)", "add-index"),
    _r("no-transaction-required", "failure",
       "{what} cannot run inside a transaction block",
       "start the file with -- schemadb:no-transaction"),
    _r("adding-required-field", "failure",
       "ADD COLUMN {column} NOT NULL without a default fails on {table} as soon as it has a row",
       "add it nullable (or with a default), fill it, add CHECK … NOT VALID, validate, then SET NOT NULL",
       "add-column"),
    _r("enum-value-used-in-same-transaction", "failure",
       "the enum value {value!r} added to {type} (statement at line {added_line}) is used in the same transaction: "
       "PostgreSQL refuses an uncommitted enum value",
       "add the value in its own migration (or a -- schemadb:no-transaction file) before using it", "add-enum-value"),
    _r("transaction-nesting", "failure",
       "{tx} in a file schemadb runs in one transaction: it would end (or nest) the transaction that also records "
       "the migration",
       "remove it, or start the file with -- schemadb:no-transaction and control the transactions yourself"),
    _r("syntax-error", "failure", "{message}", "fix the statement (PostgreSQL's parser refuses it)"),
    _r("ban-uncommitted-transaction", "failure",
       "BEGIN at line {line} is never committed before the file ends",
       "end it with COMMIT"),
    # --- breaking running clients ---
    _r("renaming-column", "breaking", "renaming {table}.{old} to {new} breaks the clients that still use {old}",
       "add the new column, write both, move the readers, then drop the old one"),
    _r("renaming-table", "breaking", "renaming {old} to {new} breaks the clients that still use {old}",
       "leave a view under the old name while the clients move"),
    _r("renaming-schema", "breaking", "renaming schema {old} to {new} breaks every client that names it",
       "move the clients first; keep the old name on their search_path"),
    _r("renaming-enum-value", "breaking",
       "renaming the value {old!r} of {type} breaks the clients (and stored queries) that still write {old!r}",
       "add the new value, move the clients and the rows, and leave the old one unused"),
    _r("ban-drop-column", "breaking", "dropping {table}.{column} breaks the clients that still read or write it",
       "stop using it in the application first (deploy), then drop it"),
    _r("ban-drop-table", "breaking", "dropping {table} breaks the clients that still use it and loses its rows",
       "stop using it first; keep a backup (schemadb backup) or rename it aside before dropping"),
    _r("ban-drop-database", "breaking", "dropping database {name} loses it whole", "not in a migration"),
    _r("ban-truncate-cascade", "breaking",
       "TRUNCATE … CASCADE on {table} also empties every table that references it",
       "truncate the tables you mean, by name"),
    # --- about the directives themselves ---
    _r("unused-allow", "directive", "allow {rule} matches no finding of this statement",
       "remove the directive (or put it on the line before the statement it is for)"),
    _r("allow-without-reason", "directive", "allow {rule} gives no reason, so it allows nothing",
       "write why after the rule id: -- schemadb:allow RULE reason…"),
    _r("unknown-rule", "directive", "allow names an unknown rule {rule}", "see schemadb lint --list-rules"),
])


# The `schemadb new` that writes the safe way: the template's variables filled from the finding's parameters
# (a parameter the finding does not know is left as …), and the parameter that names the new migration.
COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "require-concurrent-index-creation": (("table", "table"), ("columns", "columns")),
    "ban-concurrent-index-creation-in-transaction": (("table", "table"), ("columns", "columns")),
    "require-concurrent-index-deletion": (("table", "table"), ("columns", "columns"), ("name", "index_name")),
    "constraint-missing-not-valid": (("table", "table"), ("check", "check")),
    "adding-foreign-key-constraint": (("table", "table"), ("columns", "columns"), ("ref_table", "references")),
    "disallowed-unique-constraint": (("table", "table"), ("columns", "columns")),
    "adding-not-nullable-field": (("table", "table"), ("column", "column")),
    "adding-field-with-default": (("table", "table"), ("column", "column"), ("type", "type"),
                                  ("default", "default")),
    "adding-required-field": (("table", "table"), ("column", "column"), ("type", "type"), ("not_null", "true")),
    "changing-column-type": (("table", "table"), ("column", "column"), ("type", "type")),
    "enum-value-used-in-same-transaction": (("type", "type"), ("value", "value")),
}


def template_command(rule_id: str, params: dict) -> str | None:
    """e.g. schemadb new orders_note_idx --template add-index --set table=public.orders --set columns=note"""
    import shlex

    r = RULES[rule_id]
    if not r.template:
        return None
    words = []
    for var, param in COMMANDS.get(rule_id, ()):
        value = param if param == "true" else params.get(param)
        if value in (None, "", "…") and var in ("name", "default"):
            continue  # optional: the template's default
        words += ["--set", f"{var}={value if value not in (None, '') else '…'}"]
    name = params.get("index") or _migration_name(rule_id, params)
    return " ".join(["schemadb", "new", shlex.quote(name), "--template", r.template,
                     *(shlex.quote(w) if w != "--set" else w for w in words)])


def _migration_name(rule_id: str, params: dict) -> str:
    import re

    table = str(params.get("table") or params.get("type") or "").split(".")[-1]
    what = params.get("column") or params.get("value") or ""
    suffix = {"adding-foreign-key-constraint": "fkey", "disallowed-unique-constraint": "key",
              "constraint-missing-not-valid": "check", "adding-not-nullable-field": "not_null",
              "changing-column-type": "type"}.get(rule_id, "")
    name = "_".join(x for x in (table, str(what), suffix) if x).lower()
    name = re.sub(r"[^a-z0-9]+", "_", name).strip("_")
    return name or "NAME"


def severity(rule_id: str, strict: bool = False) -> str:
    group = RULES[rule_id].group
    if group in ("lock", "failure"):
        return "error"
    if group == "breaking" and strict:
        return "error"
    return "warning"
