"""Working-day deadlines across 国庆 and 春节, with make-up workdays (调休)."""

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.kit.calendar import BUSINESS_TZ, WorkingCalendar

cal = WorkingCalendar()


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=BUSINESS_TZ)


class TestNationalDay2026:
    def test_holiday_days_are_off(self) -> None:
        assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))

    def test_make_up_saturday_is_a_workday(self) -> None:
        assert date(2026, 10, 10).weekday() == 5
        assert cal.is_workday(date(2026, 10, 10))

    def test_seven_working_days_from_the_eve(self) -> None:
        # Received Wed 30 Sep: 8, 9, 10 (make-up Saturday), 12, 13, 14, 15 Oct.
        assert cal.add_working_days(at(2026, 9, 30), 7) == at(2026, 10, 15)

    def test_received_during_the_holiday_counts_from_the_next_workday(self) -> None:
        # Received 3 Oct: counting starts 8 Oct 00:00; one working day later is 9 Oct 00:00.
        assert cal.add_working_days(at(2026, 10, 3, 15), 1) == at(2026, 10, 9, 0)


class TestSpringFestival2026:
    def test_make_up_saturdays(self) -> None:
        for day in (date(2026, 2, 14), date(2026, 2, 28)):
            assert day.weekday() == 5 and cal.is_workday(day)

    def test_deadline_skips_the_whole_festival(self) -> None:
        # Received Fri 13 Feb: 14 (make-up), then 24, 25, 26, 27, 28 (make-up), 2 Mar.
        assert cal.add_working_days(at(2026, 2, 13), 7) == at(2026, 3, 2)

    def test_working_days_between(self) -> None:
        assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6


class TestUnknownYears:
    def test_falls_back_to_weekends_and_says_so(self) -> None:
        assert not cal.is_exact(date(2027, 10, 1))
        assert cal.is_workday(date(2027, 10, 1))  # a Friday, unknown holiday schedule
        assert not cal.is_workday(date(2027, 10, 2))

    def test_overrides_make_a_year_exact(self) -> None:
        overridden = WorkingCalendar({date(2027, 10, 1): False, date(2027, 9, 26): True})
        assert overridden.is_exact(date(2027, 10, 4))
        assert not overridden.is_workday(date(2027, 10, 1))
        assert overridden.is_workday(date(2027, 9, 26))


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 30)),
    st.integers(min_value=0, max_value=20),
)
def test_deadline_lands_on_a_workday_after_exactly_n_working_days(
    naive: datetime, days: int
) -> None:
    start = naive.replace(tzinfo=BUSINESS_TZ)
    deadline = cal.add_working_days(start, days)
    assert deadline >= start
    if days:
        assert cal.is_workday(deadline.date())
        # A start on a day off counts from the next working day, which is then included.
        expected = days if cal.is_workday(start.date()) else days + 1
        assert cal.working_days_between(start.date(), deadline.date()) == expected
