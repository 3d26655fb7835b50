"""Chinese working days (工作日) for deadlines: statutory holidays and make-up days (调休).

The State Council publishes each year's schedule (国务院办公厅关于放假安排的通知)
in the autumn before; the ``chinesecalendar`` library carries the published years.
For a year it does not know yet, administrators can enter the schedule as
overrides (date → working or not); without either, weekends are the only days off
and :attr:`WorkingCalendar.is_exact` says so, so callers can warn.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class WorkingCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def is_exact(self, day: date) -> bool:
        """False when ``day`` falls in a year neither the library nor an override covers."""
        if day in self._overrides or any(d.year == day.year for d in self._overrides):
            return True
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start`` (in Asia/Shanghai).

        Counting follows 接诉即办 practice: an order received on a day off starts
        counting at the beginning of the next working day; the deadline keeps the
        time of day of the start and lands on a working day.
        """
        if days < 0:
            raise ValueError("days must be non-negative")
        local = start.astimezone(BUSINESS_TZ)
        if not self.is_workday(local.date()):
            local = datetime.combine(self._next_workday(local.date()), time(0), BUSINESS_TZ)
        day = local.date()
        for _ in range(days):
            day = self._next_workday(day)
        return datetime.combine(day, local.timetz())

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range (start, end]."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def _next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        # A run of days off is at most a few weeks even around 春节; bound the search.
        for _ in range(60):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within 60 days after {day}")
