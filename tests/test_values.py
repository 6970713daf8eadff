"""The one place where typed cell values become numbers: every separator convention staff use."""

from __future__ import annotations

import datetime as dt

import pytest

from workbook_tools.values import parse_date, parse_number, vn_number


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
