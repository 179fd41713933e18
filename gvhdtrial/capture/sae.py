"""The serious adverse event (SAE) reporting clock, as a pure function.

The site reports an SAE to the sponsor "without undue delay but not later than within 24 hours
of obtaining knowledge of the events" (Regulation (EU) No 536/2014, Article 41(2); ICH E6(R2)
4.11.1 and China GCP 2020, Article 26, say "immediately", which trial protocols spell as 24
hours). The clock starts when the site became aware of the event; when the awareness time is
not recorded the CRF's onset date (start of that day) is used, the earliest the site could have
known. A report entered after the deadline is overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Hours from awareness to the report's deadline (EU 536/2014 Art. 41(2)).
SAE_REPORT_HOURS = 24


@dataclass(frozen=True)
class SaeClock:
    aware_at: dt.datetime  # when the clock started (awareness, else the onset day's start)
    due_at: dt.datetime  # aware_at + SAE_REPORT_HOURS
    reported_at: dt.datetime  # when the SAE was entered
    overdue: bool  # entered after due_at
    from_onset: bool  # no awareness time recorded: the clock started at the onset date


def sae_clock(
    reported_at: dt.datetime,
    onset_date: dt.date | None,
    aware_at: dt.datetime | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> SaeClock:
    """The deadline of an SAE report entered at ``reported_at`` (aware datetimes).

    ``aware_at`` is when the site learned of the event; without it the onset date's midnight in
    ``tz`` (the trial's time zone) starts the clock; without either, the entry itself (nothing
    can be overdue then: the CRF gives no earlier time)."""
    if reported_at.tzinfo is None:
        raise ValueError(f"reported_at {reported_at!r}: expected an aware datetime")
    from_onset = aware_at is None
    if aware_at is None:
        if onset_date is not None:
            aware_at = dt.datetime.combine(onset_date, dt.time(0), tzinfo=tz)
        else:
            aware_at = reported_at
    elif aware_at.tzinfo is None:
        raise ValueError(f"aware_at {aware_at!r}: expected an aware datetime")
    due_at = aware_at + dt.timedelta(hours=SAE_REPORT_HOURS)
    return SaeClock(aware_at, due_at, reported_at, reported_at > due_at, from_onset)
