"""All printing happens here: progress events, results (text or --json) and error lines.

Results go to stdout; errors go to stderr as one line `schemadb: error: …` (in --json mode the
error is also part of the JSON document on stdout). -q prints only errors.
"""

from __future__ import annotations

import json
import sys

import click

from .config import redact
from .errors import SchemadbError


def _default(o):
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return float(o)
    if hasattr(o, "to_json"):
        return o.to_json()
    return str(o)


class Printer:
    def __init__(self, as_json: bool = False, quiet: bool = False, secrets: tuple = ()):
        self.json = as_json
        self.quiet = quiet
        self.secrets = secrets
        self.tty = sys.stdout.isatty()
        self._open_line = False

    # -- low level --
    def line(self, text: str = "", err: bool = False) -> None:
        if self._open_line and not err:
            click.echo("")
            self._open_line = False
        click.echo(redact(text, *self.secrets), err=err)

    def _say(self, text: str) -> None:
        if not (self.quiet or self.json):
            self.line(text)

    # -- progress events from the library --
    def event(self, kind: str, **d) -> None:
        if self.quiet or self.json:
            return
        if kind == "start":
            if not self.tty:
                return
            verb = "applying" if d["action"] == "apply" else "rolling back"
            click.echo(f"{verb} {d['version']} {d['name']} … ", nl=False)
            self._open_line = True
        elif kind == "done":
            run = d["run"]
            verb = "applied" if run.action == "apply" else "rolled back"
            extra = "" if run.transactional else ", no transaction"
            if run.attempts > 1:
                extra += f", {run.attempts} attempts"
            if self._open_line:
                click.echo(f"{run.duration_ms} ms{extra.replace(', ', ' (', 1) + ')' if extra else ''}")
                self._open_line = False
            else:
                self.line(f"{verb} {run.version} {run.name} ({run.duration_ms} ms{extra})")
            for n in run.notices or []:
                self.line(f"  {n}")
        elif kind == "lock_retry":
            from .locks import describe_blockers

            nxt = f"; next attempt in {d['next_in_s']}s" if d.get("next_in_s") is not None else "; giving up"
            self.line(f"  lock timeout in {d['what']} (attempt {d['attempt']}, {d['timeout_ms']} ms; "
                      f"{d['elapsed_s']:.1f} s of {d['budget_s']:g} s): "
                      f"{describe_blockers(d['blockers'], d['waiting_for'])}{nxt}")
        elif kind == "lock_wait":
            h = d.get("holder") or {}
            self.line(f"waiting for the lock held by pid {h.get('pid')} ({h.get('application_name')})")
        elif kind == "resume":
            self.line(f"resuming {d['version']} {d['name']} at statement {d['statement']} of {d['total']}")
        elif kind == "partition_index":
            self.line(f"  index {d['index']}: partition {d['n']} of {d['total']} ({d['partition']})")
        elif kind == "drop_invalid_index":
            self.line(f"  dropping INVALID index {d['index']} left by an earlier failed run")
        elif kind == "skip_done":
            why = f"index {d['index']} is valid" if d.get("index") else "its effect is there"
            self.line(f"  statement {d['statement']} already completed ({why}); skipped")
        elif kind == "table_done":
            r = d["report"]
            if self.tty:
                click.echo(f"[{d['index']}/{d['total']}] ", nl=False)
            verb = "would create" if d["dry_run"] else "created"
            if r.created:
                moved = f"; {'would move' if d['dry_run'] else 'moved'} {r.moved_rows} row(s) out of the default partition" \
                    if r.moved_rows else ""
                self.line(f"{r.table}: {verb} {', '.join(r.created)}{moved}")
            else:
                self.line(f"{r.table}: nothing to do ({r.existing} partitions present)")
        elif kind == "archive_progress":
            if self.tty:  # one line per table, rewritten in place
                left = f", ~{d['left']:.0f} s left" if d.get("left") is not None else ""
                click.echo(f"\r{d['table']}: {d['done']:,}/{d['total']:,} rows ({d['rate']:,.0f} rows/s{left})   ",
                           nl=False)
                self._open_line = True
        elif kind == "policy_done":
            r = d["report"]
            if self._open_line:
                click.echo("")
                self._open_line = False
            self.line(self._policy_line(r, d["dry_run"]))
        elif kind == "job_item":
            item = d["item"]
            what = item.get("view") or item.get("table")
            how = ("concurrently, " if item.get("concurrently") else "") if d["command"] == "refresh-views" \
                else f"{item['operation']}, "
            self.line(f"{what}: {how}{item['ms']} ms")
        elif kind == "tool_progress":
            if self.tty:
                click.echo(f"\r{d['verb']} {d['table']:<60}", nl=False)
                self._open_line = True
        elif kind == "backup":
            self._render_BackupResult(d["result"])
        elif kind == "warning":
            self.line(f"warning: {d['message']}", err=True)
        elif kind == "verify":
            self.line(f"verify {d['version']} {d['name']}: {d['outcome']}")
        elif kind == "verify_note":
            self.line(d["message"])
        else:
            self.line(f"{kind}: {d}")

    # -- final results --
    def result(self, res) -> None:
        if self.json:
            click.echo(redact(json.dumps(res.to_json(), default=_default, indent=2), *self.secrets))
            return
        if self.quiet and not getattr(res, "changed", False):
            return
        render = getattr(self, f"_render_{type(res).__name__}", None)
        if render is None:
            self.line(json.dumps(res.to_json(), default=_default, indent=2))
        else:
            render(res)

    def news(self, text: str) -> None:
        """A change worth a cron mail: printed even with -q (never with --json)."""
        if not self.json:
            self.line(text)

    def error(self, err: SchemadbError) -> None:
        from .errors import Skipped

        if isinstance(err, Skipped):  # not an error: one line on stdout (nothing with -q)
            if self.json:
                click.echo(json.dumps({"skipped": err.message, "holder": err.holder}, default=_default))
            elif not self.quiet:
                self.line(err.message)
            return
        self.line(f"schemadb: error: {err.message}", err=True)
        problems = getattr(err, "problems", None) or []
        for p in problems:
            self.line(f"  {p.message}", err=True)
        if self.json and not getattr(err, "reported_in_result", False):
            click.echo(redact(json.dumps({"error": err.to_json()}, default=_default, indent=2), *self.secrets))

    # -- renderers --
    def _render_RunResult(self, r) -> None:
        verb = "applied" if r.command == "migrate" else "rolled back"
        if r.dry_run:
            if not r.planned:
                self.line(f"nothing to {'migrate' if r.command == 'migrate' else 'roll back'}"
                          f" (current version {r.current_version or 'none'})")
                return
            would = "would apply" if r.command == "migrate" else "would roll back"
            for e in r.planned:
                self.line(f"{would} {e.version} {e.name}")
            self.line(f"dry run: {len(r.planned)} to run; nothing was changed")
            return
        if r.error is not None:
            from .errors import Interrupted

            if r.done:
                what = "the interrupt" if isinstance(r.error, Interrupted) else "the failure"
                self.line(f"{verb} before {what}: {', '.join(x.version for x in r.done)}")
            else:
                self.line(f"nothing {verb} (current version {r.current_version or 'none'})")
            return
        if not r.done:
            self.line(f"nothing to {'migrate' if r.command == 'migrate' else 'roll back'}"
                      f" (current version {r.current_version or 'none'})")
            return
        self.line(f"{len(r.done)} {verb} in {r.total_ms} ms; current version {r.current_version or 'none'}")

    def _render_StatusResult(self, r) -> None:
        rows = [("version", "name", "state", "applied at", "by")]
        for e in r.entries:
            state = e.state if e.resume_at is None else f"{e.state} (resumes at statement {e.resume_at})"
            if e.rollback_changed:
                state += " (rollback changed)"
            if e.irreversible:
                state += " (irreversible)"
            rows.append((e.version, e.name, state, (e.applied_at or "").replace("T", " ")[:19], e.applied_by or ""))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        out = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:<{widths[3]}}  {row[4]}"
               for row in rows]
        c = r.counts
        out.append(f"current version: {r.current_version or 'none'}; {c['applied']} applied, {c['pending']} pending, "
                   f"{c['changed']} changed, {c['missing']} missing ({r.history_table}, {r.directory})")
        irreversible = [e.version for e in r.entries if e.irreversible]
        if irreversible:
            out.append(f"irreversible: {', '.join(irreversible)} (rollback has no statement)")
        out += r.notes
        out += [f"problem: {p.message}" for p in r.problems]
        if r.problems:
            out.append(f"{len(r.problems)} problem(s) in the files: `schemadb migrate` refuses to run until they "
                       "are fixed")
        self.line("\n".join(out))  # one write (and one pass of the password mask) for thousands of rows

    def _render_ValidateResult(self, r) -> None:
        for x in r.findings:
            self.line(x.text())
        if r.irreversible:
            self.line(f"irreversible: {', '.join(r.irreversible)} (rollback has no statement; not a problem)")
        if not r.problems:
            where = "files and database" if r.checked_database else "files only"
            self.line(f"ok: {r.migrations} migrations, no problem ({where})")
            return
        for p in r.problems:
            self.line(p.message)
        self.line(f"{len(r.problems)} problem(s)")

    def _render_LintResult(self, r) -> None:
        if r.format == "github":
            self.line("\n".join(f.github() for f in r.findings) or "")
            return
        lines = [f.text() for f in r.findings]
        c = r.counts
        how = {"files": "the files given, as one run", "pending": "the pending migrations, against the database",
               "each file alone": "each migration alone, as production would see it"}.get(r.mode, r.mode)
        lines.append(f"{'ok' if r.ok else 'refused'}: {r.files} file(s), {how}; {c['error']} error(s), "
                     f"{c['warning']} warning(s), {c['allowed']} allowed")
        self.line("\n".join(lines))

    def _render_RuleList(self, r) -> None:
        self.line("\n".join(f"{x['id']:<46} {x['group']:<9} {x['fix']}" for x in r.to_json()["rules"]))

    def _render_RecordResult(self, r) -> None:
        for v in getattr(r, "versions", []):
            self.line(f"{'recorded' if r.command == 'baseline' else 'repaired'} {v['version']} {v['name']}")
        for n in r.notes:
            self.line(n)

    def _render_NewResult(self, r) -> None:
        for f in r.files:
            self.line(f"created {f['migration']}")
            self.line(f"created {f['rollback']}")
        if r.template and len(r.files) > 1:
            self.line(f"{len(r.files)} migrations from template {r.template}: review them, then schemadb lint and "
                      "schemadb verify")

    def _render_TemplateList(self, r) -> None:
        for t in r.templates:
            origin = "" if t.origin == "built-in" else f"  ({t.origin}: {t.path})"
            self.line(f"{t.name}{origin}")
            self.line(f"    {t.description}")
            for v in t.variables.values():
                self.line(f"    --set {v.name}=…{'' if v.required else '  (optional)'}  {v.help}")

    def _render_LogResult(self, r) -> None:
        for e in r.entries:
            at = e["logged_at"].strftime("%Y-%m-%d %H:%M:%S")
            dur = f"{e['duration_ms']} ms" if e["duration_ms"] is not None else "-"
            err = f"  {e['error']}" if e["error"] else ""
            self.line(f"{at}  {e['action']:<8} {e['version']} {e['name'] or ''}  {e['outcome']:<7} {dur:>9}  "
                      f"{e['db_user']} ({e['application_name']}){err}")

    def _render_PartitionsResult(self, r) -> None:
        if r.command == "ensure":
            if self.quiet:  # only the news: what was created
                for t in r.tables:
                    if t.created:
                        self.news(f"{t.table}: created {', '.join(t.created)}"
                                  + (f"; moved {t.moved_rows} row(s) out of the default partition" if t.moved_rows else ""))
                return
            span = f"{r.months[0]}..{r.months[-1]}"
            if r.dry_run:
                self.line(f"dry run: {r.created} partition(s) would be created for {span}; nothing was changed")
            elif r.created:
                self.line(f"created {r.created} partition(s) in {sum(1 for t in r.tables if t.created)} table(s) "
                          f"for {span}")
            else:
                self.line(f"nothing to do: {len(r.tables)} table(s) have every partition for {span}")
        elif r.command == "check":
            for p in r.problems:
                self.line(p)
            if not r.problems:
                self.line(f"ok: {len(r.tables)} table(s) have their partitions for {r.months[0]}..{r.months[-1]} "
                          "and empty default partitions")
        else:
            for t in r.tables:
                flag = "  (next month's partition is missing!)" if t.next_month_missing else ""
                self.line(f"{t.table}{flag}")
                for p in t.partitions:
                    self.line(f"  {p['partition']:<48} {p['bounds']:<80} ~{p['estimated_rows']} rows "
                              f"{p['bytes'] // 1024} kB")

    @staticmethod
    def _policy_line(r, dry_run: bool) -> str:
        if r.error:
            return f"{r.table}: error: {r.error}"
        verb_p = ("would archive" if dry_run else "archived") if r.action != "delete" else \
            ("would drop" if dry_run else "dropped")
        verb_r = ("would move" if dry_run else "moved") if r.action != "delete" else ("would delete" if dry_run else "deleted")
        parts = []
        if r.partitions:
            parts.append(f"{verb_p} {len(r.partitions)} partition(s) (~{r.partition_rows:,} rows)")
        rows = r.rows_pending if dry_run else r.rows
        if rows:
            parts.append(f"{verb_r} {rows:,} row(s) in batches")
        if r.purged:
            parts.append(f"{'would purge' if dry_run else 'purged'} {', '.join(r.purged)}")
        if not parts:
            return f"{r.table}: nothing older than {r.cutoff[:10]}"
        return f"{r.table}: " + "; ".join(parts) + f" ({r.seconds:.1f} s)"

    def _render_ArchiveResult(self, r) -> None:
        if self.quiet:  # the news only
            for p in r.policies:
                if p.changed or p.error:
                    self.news(self._policy_line(p, r.dry_run))
            return
        if r.dry_run:
            self.line("dry run: nothing was changed")
        elif not r.changed and not r.errors:
            self.line("nothing to archive")

    def _render_JobResult(self, r) -> None:
        if self.quiet:
            return
        self.line(f"{r.command}: {len(r.items)} done")

    def _render_BackupResult(self, r) -> None:
        if self._open_line:
            click.echo("\r" + " " * 72 + "\r", nl=False)
            self._open_line = False
        what = "schema" if r.schema_only else f"{r.tables} tables, {r.rows:,} rows"
        self.line(f"backup {r.file} ({r.bytes / 1e6:.1f} MB; {what}; version {r.version or 'none'};"
                  f" sha256 {r.sha256[:12]}…) in {r.seconds:.1f} s")
        for p in r.pruned:
            self.line(f"pruned {p}")

    def _render_RestoreResult(self, r) -> None:
        if self._open_line:
            click.echo("\r" + " " * 72 + "\r", nl=False)
            self._open_line = False
        self.line(f"restored {r.file} into {r.target} in {r.seconds:.1f} s")
        for m in r.mismatches:
            self.line(f"MISMATCH {m}")
        if r.mismatches:
            self.line(f"check failed: {len(r.mismatches)} mismatch(es)")
        else:
            self.line(f"check ok: schema version {r.version or 'none'} and the row counts of {r.tables_checked} "
                      "tables match the backup")

    def _render_HealthResult(self, r) -> None:
        for c in r.checks:
            self.line(f"{'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail']}")
        self.line(r.status)

    def _render_DoctorResult(self, r) -> None:
        from .doctor import fmt_bytes

        self.line("largest tables:")
        for t in r.tables[:10]:
            parts = f", {t['partitions']} partitions" if t["partitions"] else ""
            self.line(f"  {t['table_name']:<44} {fmt_bytes(t['total_bytes']):>8} (indexes {fmt_bytes(t['index_bytes'])}{parts})")
        self.line("unused indexes (never scanned since the statistics were reset):" if r.unused_indexes
                  else "unused indexes: none")
        for i in r.unused_indexes:
            self.line(f"  {i['index_name']:<56} {fmt_bytes(i['bytes']):>8} on {i['table_name']}")
        self.line("bloat estimate (dead rows):" if r.bloat else "bloat estimate: no table with more than 1000 dead rows")
        for b in r.bloat:
            self.line(f"  {b['table_name']:<44} {b['dead_percent']}% dead ({b['n_dead_tup']:,} rows)")
        if r.slow_statements:
            self.line("slowest statements (mean):")
            for q in r.slow_statements:
                self.line(f"  {q['mean_ms']:>10} ms x{q['calls']:<8} {' '.join(q['query'].split())[:90]}")
        if r.slow_statements_note:
            self.line(f"slowest statements: {r.slow_statements_note}")
        mem = fmt_bytes(r.memory_bytes) if r.memory_bytes else "?"
        self.line(f"settings (memory {mem}: {r.memory_source}):")
        for st in r.settings:
            mark = "ok  " if st["ok"] else "SET "
            self.line(f"  {mark}{st['name']} = {st['current']} (recommended {st['recommended']}): {st['why']}")
            if not st["ok"]:
                for ln in st["line"].splitlines():
                    self.line(f"       postgresql.conf: {ln}")

    def _render_SeedResult(self, r) -> None:
        for table, n in sorted(r.deleted.items()):
            self.line(f"deleted {n} row(s) from {table}")
        for table, n in sorted(r.inserted.items()):
            self.line(f"inserted {n} row(s) into {table}")
        for n in r.notes:
            self.line(n)

    def _render_VerifyResult(self, r) -> None:
        out = []
        for p in r.proofs:
            if p.outcome in ("asymmetric", "failed"):
                out.append(f"{p.version} {p.name}: " + ("rollback does not restore the schema:"
                                                        if p.outcome == "asymmetric" else p.error))
                if p.outcome == "asymmetric" and p.error:
                    out.append(f"  {p.error}")
                for d in p.differences:
                    out += [f"  {ln}" for ln in d.lines()]
            for w in p.warnings:
                out.append(f"warning: {p.version} {p.name}: {w.message} (cluster-wide; another database may have "
                           "done it)")
        for n in r.notes:
            out.append(f"note: {n}")
        for d in r.missed:
            out.append(f"warning: the step-by-step tracking missed a change, seen by the final whole snapshot: "
                       f"{d.kind} {d.name} ({d.change}{' ' + d.aspect if d.aspect else ''}); run "
                       "`schemadb verify --full-snapshots` to attribute it")
        c = r.counts
        checked = c["symmetric"] + c["asymmetric"] + c["failed"] + c["irreversible"]
        if r.ok and not c["unchecked"]:
            extra = f" ({c['irreversible']} irreversible)" if c["irreversible"] else ""
            out.append(f"ok: all {checked} rollbacks restore the schema exactly{extra}")
        else:
            out.append(f"{checked} of {checked + c['unchecked']} checked: {c['symmetric']} symmetric, {c['asymmetric']} "
                       f"asymmetric, {c['failed']} failed, {c['irreversible']} irreversible, {c['unchecked']} unchecked")
        self.line("\n".join(out))
