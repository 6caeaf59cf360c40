import datetime as dt

import pytest

from liaison.core.models import Holiday
from liaison.core.workdays import (
    add_workdays,
    calendar_warnings,
    is_workday,
    library_knows,
    next_workday,
    workdays_between,
)

D = dt.date


@pytest.mark.django_db
class TestWorkdays:
    def test_spring_festival_2026_is_skipped(self):
        # 2026 Spring Festival: 15–23 February off; Saturday 14 February and 28 February worked.
        assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
        assert add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)

    def test_national_day_2026(self):
        # 1–7 October 2026 off; the reply limit of 10 working days runs past the holiday.
        assert not is_workday(D(2026, 10, 5))
        assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)

    def test_reply_limit_of_ten_days(self):
        assert add_workdays(D(2026, 11, 2), 10) == D(2026, 11, 16)

    def test_unknown_years_fall_back_to_weekends_and_never_crash(self):
        assert add_workdays(D(2031, 3, 7), 1) == D(2031, 3, 10)  # Friday → Monday

    def test_office_holiday_table_rules_beyond_the_library(self):
        # Spring Festival 2027 (from 6 February) is not in the package: staff enter it.
        for day in range(6, 13):
            Holiday.objects.create(date=D(2027, 2, day), name="春节")
        Holiday.objects.create(date=D(2027, 2, 14), is_workday=True, name="春节调休")
        assert add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 14)
        assert add_workdays(D(2027, 2, 5), 2) == D(2027, 2, 15)

    def test_table_overrides_the_library(self):
        Holiday.objects.create(date=D(2026, 11, 26), name="临时调整")
        assert not is_workday(D(2026, 11, 26))
        assert next_workday(D(2026, 11, 26)) == D(2026, 11, 27)

    def test_across_the_year_end_into_2027(self):
        assert add_workdays(D(2026, 12, 30), 3) > D(2027, 1, 1)

    def test_between(self):
        assert workdays_between(D(2026, 9, 30), D(2026, 10, 9)) == 2
        assert workdays_between(D(2026, 10, 9), D(2026, 10, 9)) == 0


@pytest.mark.django_db
class TestBeyondTheLibrary:
    def test_2027_new_year_and_spring_festival_are_not_working_days(self):
        assert library_knows(2026) and not library_knows(2027)
        assert not is_workday(D(2027, 1, 1))  # a Friday
        for day in (8, 9, 10):  # Monday to Wednesday of the Spring Festival week
            assert not is_workday(D(2027, 2, day))
        assert is_workday(D(2027, 2, 11))
        assert add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)

    def test_the_table_still_rules_over_the_fallback(self):
        Holiday.objects.create(date=D(2027, 2, 7), is_workday=True, name="春节调休")
        assert is_workday(D(2027, 2, 7))

    def test_office_is_warned_from_november_until_next_year_is_entered(self):
        assert calendar_warnings(D(2026, 10, 31)) == []
        [warning] = calendar_warnings(D(2026, 11, 1))
        assert "2027" in warning
        Holiday.objects.create(date=D(2027, 2, 14), is_workday=True, name="春节调休")
        assert calendar_warnings(D(2026, 11, 1)) == []

    def test_a_year_in_use_without_a_schedule_is_warned_all_year(self):
        assert len(calendar_warnings(D(2028, 3, 1))) == 1
        assert len(calendar_warnings(D(2028, 11, 2))) == 2
