"""`-- schemadb:no-transaction` files: statement by statement, with progress and resumption."""

import json


def indexes(db, table):
    return {r[0]: r[1] for r in db.execute(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass", (table,))}


def test_concurrent_indexes_and_enum_value(run, project, db):
    cli = run(project("concurrent"))
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert "applied 0002 concurrent_indexes (" in r.stdout and "no transaction" in r.stdout
    assert indexes(db, "public.events") == {"events_pkey": True, "idx_events_kind": True, "idx_events_payload": True}
    assert "deleted" in db.execute("SELECT enum_range(NULL::public.event_kind)::text").fetchone()[0]
    row = db.execute("SELECT transactional FROM schema_migrations WHERE version = '0002'").fetchone()
    assert row == (False,)
    log = db.execute("SELECT outcome, statements_done, statements_total FROM schema_migrations_log"
                     " WHERE version = '0002'").fetchone()
    assert log == ("ok", 3, 3)
    r = cli("rollback")
    assert r.exit_code == 0, r.output
    assert indexes(db, "public.events") == {"events_pkey": True}


def test_failure_is_recorded_and_next_run_resumes(run, project, db):
    cli = run(project("cic_fail"))
    r = cli("migrate", "--json")
    assert r.exit_code == 1
    err = json.loads(r.stdout)["error"]
    assert err["statements_done"] == [1] and err["statement_index"] == 1
    assert err["invalid_index"] == "public.idx_people_email"
    assert err["line"] == 3 and err["sqlstate"] == "23505"
    assert "left INVALID index public.idx_people_email" in r.stderr
    assert indexes(db, "public.people") == {"people_pkey": True, "idx_people_city": True, "idx_people_email": False}
    st = json.loads(cli("status", "--json").stdout)
    assert st["migrations"][1]["state"] == "pending" and st["migrations"][1]["resume_at"] == 2
    # the DBA fixes the data; the next run resumes at statement 2 after dropping the invalid index
    db.execute("UPDATE public.people SET email = 'b@example.com' WHERE id = 2")
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert "resuming 0002 people_indexes at statement 2 of 3" in r.stdout
    assert "dropping INVALID index public.idx_people_email" in r.stdout
    assert indexes(db, "public.people") == {"people_pkey": True, "idx_people_city": True, "idx_people_email": True,
                                            "idx_people_city_email": True}


def test_edited_statements_that_already_ran_refuse(run, project, db):
    d = project("cic_fail")
    cli = run(d)
    assert cli("migrate").exit_code == 1
    f = d / "migrations/0002_people_indexes.sql"
    f.write_text(f.read_text().replace("(city);", "(city, id);"))
    r = cli("migrate")
    assert r.exit_code == 3
    assert "1 statement(s) of this no-transaction file already ran, and they were edited" in r.stderr
    # editing the statement that failed (not yet run) is allowed
    f.write_text(f.read_text().replace("(city, id);", "(city);").replace("UNIQUE INDEX", "INDEX"))
    assert cli("migrate").exit_code == 0


def test_parse_error_in_no_transaction_file_runs_nothing(run, project, db):
    d = project("concurrent")
    f = d / "migrations/0002_concurrent_indexes.sql"
    f.write_text(f.read_text().replace("ALTER TYPE", "ALTER TYPO"))
    r = run(d)("migrate")
    assert r.exit_code == 3 and "0002_concurrent_indexes.sql:4:7: syntax-error" in r.stderr  # the lint gate
    r = run(d)("migrate", "--no-lint")
    assert r.exit_code == 1
    assert "apply 0002 concurrent_indexes failed" in r.stderr
    assert "0002_concurrent_indexes.sql:4:7: [42601] syntax error at or near \"TYPO\"" in r.stderr
    assert indexes(db, "public.events") == {"events_pkey": True}
