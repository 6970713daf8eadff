"""The one place where typed cell values become numbers: every separator convention staff use."""

from __future__ import annotations

import datetime as dt
import unicodedata
from datetime import time

import pytest

from workbook_tools.values import parse_date, parse_number, parse_time, vn_number


@pytest.mark.parametrize(
    "raw,whole,value,code",
    [
        (1234, True, 1234, ""), (1234.0, True, 1234, ""), ("1.234", True, 1234, "text_number"),
        ("1,234", True, 1234, "text_number"), (" 12 ", True, 12, "text_number"), ("1 234 567", True, 1_234_567, "text_number"),
        ("1.234,5", False, 1234.5, "text_number"), ("1,234.5", False, 1234.5, "text_number"), ("12,5", False, 12.5, "text_number"),
        ("\u00a01.234\u00a0", True, 1234, "text_number"), (12.5, True, 12.5, "not_whole"), ("12,5", True, 12.5, "not_whole"),
        (-5, True, -5, "negative"), ("-1.000", True, -1000, "negative"), ("abc", True, None, "not_a_number"),
        ("12a", True, None, "not_a_number"), ("#DIV/0!", True, None, "excel_error"), (None, True, None, "empty"),
        ("  ", True, None, "empty"), (True, True, None, "not_a_number"), (dt.date(2021, 1, 1), True, None, "not_a_number"),
    ],
)
def test_typed_values_become_numbers_or_a_reason(raw, whole, value, code):
    parsed = parse_number(raw, whole=whole)
    assert parsed.value == value and parsed.code == code


@pytest.mark.parametrize(
    "raw,day",
    [("15/10/2021", dt.date(2021, 10, 15)), ("5.11.2021", dt.date(2021, 11, 5)), ("2021-10-15", dt.date(2021, 10, 15)),
     (dt.datetime(2021, 10, 15, 8, 30), dt.date(2021, 10, 15)), (44484, dt.date(2021, 10, 15)), ("32/13/2021", None), ("hôm nay", None)],
)
def test_report_dates_in_the_forms_staff_type(raw, day):
    assert parse_date(raw) == day


def test_vietnamese_number_display():
    assert vn_number(1_234_567) == "1.234.567" and vn_number(1234.5) == "1.234,5" and vn_number(-5.0) == "-5"
    assert vn_number(58.321) == "58,321" and vn_number(float("nan")) == "NaN" and vn_number(float("-inf")) == "-INF"


@pytest.mark.parametrize(("typed", "meant"), [
    ("15:30", time(15, 30)), ("15h30", time(15, 30)), ("15G30", time(15, 30)), ("15 giờ 30 phút", time(15, 30)),
    (unicodedata.normalize("NFD", "15 giờ 30"), time(15, 30)), ("3:30 PM", time(15, 30)), ("3:30pm", time(15, 30)),
    ("3h30 chiều", time(15, 30)), ("12:10 AM", time(0, 10)), ("12:10 PM", time(12, 10)), ("9:05 SA", time(9, 5)),
    ("8 giờ tối", time(20, 0)), ("11:30 trưa", time(11, 30)), ("16:00:00", time(16, 0)),
    ("15:30 PM", None), ("0:30 sáng", None), ("7:00 trưa", None), ("25:70", None), ("1530", None), ("3.30", None), ("", None),
])
def test_typed_times_are_read_on_a_24_hour_clock_or_with_the_half_of_the_day_named(typed, meant):
    assert parse_time(typed) == meant
