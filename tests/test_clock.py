"""Month arithmetic and SCHEMADB_NOW, without a database."""

import datetime as dt

import pytest

from schemadb import clock
from schemadb.errors import ConfigError


@pytest.mark.parametrize("today,behind,ahead,expected", [
    ("2026-11-23", 0, 3, ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"]),   # year boundary
    ("2028-02-29", 1, 1, ["2028-01-01", "2028-02-01", "2028-03-01"]),                 # leap day
    ("2027-01-31", 2, 0, ["2026-11-01", "2026-12-01", "2027-01-01"]),                 # backwards over the year
    ("2026-12-31", 0, 1, ["2026-12-01", "2027-01-01"]),                               # last day of the year
])
def test_months_around(today, behind, ahead, expected):
    got = clock.months_around(dt.date.fromisoformat(today), behind, ahead)
    assert [d.isoformat() for d in got] == expected


def test_schemadb_now(monkeypatch):
    monkeypatch.setenv("SCHEMADB_NOW", "2028-02-29")
    assert clock.now() == dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    monkeypatch.setenv("SCHEMADB_NOW", "2026-12-31T23:30:00-05:00")  # already January in UTC
    assert clock.month_start(clock.now()) == dt.date(2027, 1, 1)
    monkeypatch.setenv("SCHEMADB_NOW", "yesterday")
    with pytest.raises(ConfigError):
        clock.now()
