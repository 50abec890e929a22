"""Discovery and parsing of migration files, without a database."""

from pathlib import Path

import pytest

from schemadb.config import ConfigError, parse_duration_ms, redact, split_table_name
from schemadb.migrations import next_version, normalize_name, scan

SETS = Path(__file__).parent / "sets"


def write(root: Path, rel: str, data: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def kinds(sc):
    return sorted(p.kind for p in sc.problems)


def test_good_set_pairs_every_file():
    sc = scan(SETS / "good")
    assert sc.problems == []
    assert [m.version for m in sc.migrations] == ["0001", "0002", "0003"]
    assert all(m.up and m.down and m.up.transactional for m in sc.migrations)
    assert len(sc.migrations[0].up.checksum) == 64


def test_malformed_names_are_each_named():
    sc = scan(SETS / "malformed")
    bad = sorted(Path(p.path).name for p in sc.problems if p.kind == "malformed_name")
    assert bad == ["0003-dashes.sql", "0004_CamelCase.sql", "2_too_short.sql"]


def test_missing_pair_files(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", "SELECT 1;")
    write(tmp_path, "rollback/0002_b.sql", "SELECT 1;")
    sc = scan(tmp_path)
    assert kinds(sc) == ["missing_migration", "missing_rollback"]
    assert any("rollback/0001_a.sql" in p.message for p in sc.problems)


def test_rollback_with_other_name_is_not_a_pair(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", "SELECT 1;")
    write(tmp_path, "rollback/0001_b.sql", "SELECT 1;")
    sc = scan(tmp_path)
    assert kinds(sc) == ["missing_rollback"]
    assert "0001_b.sql" in sc.problems[0].message


def test_duplicate_versions_even_with_other_padding(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", "SELECT 1;")
    write(tmp_path, "migrations/00001_b.sql", "SELECT 1;")
    write(tmp_path, "rollback/0001_a.sql", "SELECT 1;")
    sc = scan(tmp_path)
    assert "duplicate_version" in kinds(sc)


def test_files_with_no_statement_are_no_ops_and_irreversible_rollbacks(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", "")
    write(tmp_path, "migrations/0002_b.sql", "-- only a comment\n\n  \n")
    write(tmp_path, "migrations/0003_c.sql", "/* a block /* nested */ comment */ ;\n")
    write(tmp_path, "migrations/0004_d.sql", "CREATE TABLE d (a int);\n")
    write(tmp_path, "rollback/0001_a.sql", "SELECT 1;")
    write(tmp_path, "rollback/0002_b.sql", "")
    write(tmp_path, "rollback/0003_c.sql", "-- nothing")
    write(tmp_path, "rollback/0004_d.sql", "-- not reversible: the data is gone\n")
    sc = scan(tmp_path)
    assert sc.problems == []
    assert [m.up.has_statement for m in sc.migrations] == [False, False, False, True]
    # a rollback with no statement marks its migration irreversible, unless the migration is a no-op too
    assert [m.version for m in sc.irreversible] == ["0004"]


def test_placeholders_of_new_are_refused(tmp_path):
    from schemadb.migrations import placeholder_texts

    up, down = placeholder_texts("0001", "forgotten")
    write(tmp_path, "migrations/0001_forgotten.sql", up)
    write(tmp_path, "rollback/0001_forgotten.sql", down)
    up2, down2 = placeholder_texts("0002", "half_done")
    write(tmp_path, "migrations/0002_half_done.sql", "CREATE TABLE h (a int);\n")
    write(tmp_path, "rollback/0002_half_done.sql", down2)
    sc = scan(tmp_path)
    assert kinds(sc) == ["placeholder", "placeholder", "placeholder"]
    assert any("0001_forgotten.sql: still exactly what `schemadb new` wrote" in p.message for p in sc.problems)


def test_non_utf8_file_names_line(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", b"SELECT 1;\nSELECT '\xff';\n")
    write(tmp_path, "rollback/0001_a.sql", "SELECT 1;")
    sc = scan(tmp_path)
    assert kinds(sc) == ["not_utf8"]
    assert "0001_a.sql:2" in sc.problems[0].message


def test_directive_bom_and_crlf(tmp_path):
    write(tmp_path, "migrations/0001_a.sql", b"\xef\xbb\xbf--  schemadb: no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n")
    write(tmp_path, "rollback/0001_a.sql", "-- schemadb:no-transaction\nDROP INDEX CONCURRENTLY i;")
    write(tmp_path, "migrations/0002_b.sql", "SELECT 1;\n-- schemadb:no-transaction\n")
    write(tmp_path, "rollback/0002_b.sql", "SELECT 1;")
    sc = scan(tmp_path)
    assert sc.problems == []
    a, b = sc.migrations
    assert not a.up.transactional and not a.down.transactional and not a.up.text.startswith("\ufeff")
    assert b.up.transactional  # the directive counts only on the first line


def test_readme_and_hidden_files_are_ignored(tmp_path):
    write(tmp_path, "migrations/README.md", "notes")
    write(tmp_path, "migrations/.gitkeep", "")
    write(tmp_path, "migrations/0001_a.sql", "SELECT 1;")
    write(tmp_path, "rollback/0001_a.sql", "SELECT 1;")
    assert scan(tmp_path).problems == []


def test_next_version_keeps_width():
    assert next_version(scan(SETS / "good")) == "0004"


def test_normalize_name():
    assert normalize_name("Add users-Table") == "add_users_table"
    with pytest.raises(ValueError):
        normalize_name("drop; table")


@pytest.mark.parametrize("value,ms", [("5s", 5000), ("500ms", 500), ("2min", 120000), ("1.5", 1500), (3, 3000)])
def test_durations(value, ms):
    assert parse_duration_ms(value, "--x") == ms


def test_bad_duration_and_table():
    with pytest.raises(ConfigError):
        parse_duration_ms("soon", "--lock-timeout")
    with pytest.raises(ConfigError):
        split_table_name("a.b.c")
    assert split_table_name("history") == ("public", "history")


def test_redact_masks_passwords():
    assert "s3cret" not in redact("postgresql://bob:s3cret@db:5432/x failed")
    assert "s3cret" not in redact("host=db password=s3cret user=bob")
    assert "s3cret" not in redact("anything s3cret here", "s3cret")
