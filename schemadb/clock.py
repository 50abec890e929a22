"""The clock of the commands that read it (partitions ensure/check, archive): SCHEMADB_NOW when set.

SCHEMADB_NOW is a date (2028-02-29) or an ISO timestamp (2028-02-29T23:30:00+00:00); without a time
zone it is UTC. Month arithmetic is pure and UTC, like the partition bounds.
"""

from __future__ import annotations

import datetime as dt
import os

from .errors import ConfigError


def now() -> dt.datetime:
    raw = os.environ.get("SCHEMADB_NOW")
    if not raw:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"SCHEMADB_NOW={raw!r} is not a date (YYYY-MM-DD) or ISO timestamp") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def month_start(when: dt.date | dt.datetime) -> dt.date:
    return dt.date(when.year, when.month, 1)


def add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def months_around(today: dt.date | dt.datetime, behind: int, ahead: int) -> list[dt.date]:
    """First days of the months from `behind` months before today's month to `ahead` months after it."""
    base = month_start(today)
    return [add_months(base, k) for k in range(-behind, ahead + 1)]
