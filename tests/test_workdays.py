import datetime as dt

import pytest

from liaison.core.models import Holiday
from liaison.core.workdays import add_workdays, is_workday, next_workday, workdays_between

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
