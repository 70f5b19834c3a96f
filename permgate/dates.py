"""Date arithmetic that cannot overflow.

A date in a file may be anything from 0001-01-01 to 9999-12-31 (the schema checks only
that it is a real calendar date), and so may ``--today``.  ``date + timedelta`` raises
``OverflowError`` past either end of Python's calendar, and a crash is not a verdict: a
sensitive grant dated 9999-12-31 once ended a run with a traceback and empty SARIF.
Every sum of a date and a number of days therefore goes through ``add_days``, which
stops at the calendar's ends (a limit past 9999-12-31 is no limit for a date that a
file can hold, so clamping never changes a comparison with such a date).
"""

from __future__ import annotations

import datetime as dt


def add_days(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days`` days, clamped to ``date.min`` .. ``date.max``."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:  # past the calendar's end, or more days than a timedelta holds
        return dt.date.max if days > 0 else dt.date.min
