"""The one place where a cell value typed by a person becomes a number (or a reason it cannot).

Staff type `1.234` (Vietnamese thousands), `1,234` (English), ` 12 `, `1.234,5` (decimal comma),
paste text, or type negatives. Every rule lives here so reader and checks agree.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DIGITS = re.compile(r"^\d+$")
_VN_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^\d+\.\d+$")
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")

EMPTY = "empty"
TEXT_NUMBER = "text_number"
NOT_A_NUMBER = "not_a_number"
NOT_WHOLE = "not_whole"
NEGATIVE = "negative"
EXCEL_ERROR = "excel_error"
NOT_FINITE = "not_finite"

# No single figure of a province may exceed this: the forms' own validation maximum. Any value
# above it came in past the validation (pasted, edited outside Excel) and would let two units
# overflow a float sum to infinity.
CEILING = 1_000_000_000


@dataclass(frozen=True)
class Parsed:
    """A converted value and, when the value is not clean, the code of what was wrong."""

    value: float | int | None
    code: str = ""

    @property
    def usable(self) -> bool:
        """True when the value can enter the sums (clean, or text that was read as a number)."""
        return self.value is not None and self.code in ("", TEXT_NUMBER)


def _from_text(text: str) -> float | None:
    """Read a number written as text with Vietnamese or English separators."""
    compact = _SPACES.sub("", text)
    sign = -1 if compact.startswith("-") else 1
    body = compact.lstrip("+-")
    if _DIGITS.match(body):
        return sign * int(body)
    if _VN_GROUPED.match(body):
        return sign * float(body.replace(".", "").replace(",", "."))
    if _EN_GROUPED.match(body):
        return sign * float(body.replace(",", ""))
    if _DECIMAL_COMMA.match(body):
        return sign * float(body.replace(",", "."))
    if _DECIMAL_POINT.match(body):
        return sign * float(body)
    return None


def _tidy(number: float, whole: bool) -> float | int:
    """Whole numbers as int, so 1234.0 prints as 1234."""
    return int(number) if whole or float(number).is_integer() else number


def parse_number(raw: object, *, whole: bool) -> Parsed:
    """Convert a cell value to a number for a count (whole) or an amount (decimals allowed)."""
    kind = type(raw)
    if (kind is float or kind is int) and 0 <= raw < math.inf:  # type: ignore[operator]
        # the common cell, a clean typed figure: the same result as below without its tests
        if kind is int:
            return Parsed(raw, "")  # type: ignore[arg-type]
        if raw.is_integer():  # type: ignore[union-attr]
            return Parsed(int(raw), "")  # type: ignore[call-overload]
        if not whole:
            return Parsed(raw, "")  # type: ignore[arg-type]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, EMPTY)
    if isinstance(raw, bool) or isinstance(raw, (date, datetime)):
        return Parsed(None, NOT_A_NUMBER)
    code = ""
    if isinstance(raw, str):
        if raw.strip().upper() in _EXCEL_ERRORS:
            return Parsed(None, EXCEL_ERROR)
        number = _from_text(raw)
        if number is None:
            return Parsed(None, NOT_A_NUMBER)
        code = TEXT_NUMBER
    elif isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            return Parsed(None, NOT_FINITE)
        number = raw
    else:
        return Parsed(None, NOT_A_NUMBER)
    if number < 0:
        return Parsed(number, NEGATIVE)
    if whole and not float(number).is_integer():
        return Parsed(number, NOT_WHOLE)
    return Parsed(_tidy(number, whole), code)


def parse_date(raw: object) -> date | None:
    """A report date typed as a date cell, an ISO date or dd/mm/yyyy text; None when unreadable."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 30_000 < raw < 80_000:
        return date.fromordinal(_EXCEL_EPOCH.toordinal() + int(raw))
    if isinstance(raw, str):
        text = raw.strip()
        match = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
        try:
            if match:
                day, month, year = map(int, match.groups())
                return date(year, month, day)
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def vn_number(value: float | int) -> str:
    """A number as a Vietnamese reader writes it: 1.234.567 and 1.234,5 (NaN, INF, 1e+308 as such)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-INF" if value < 0 else "INF")
    if abs(value) >= 1e15:
        return f"{value:.3g}"
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def vn_exact(value: float | int) -> str:
    """A number as typed, every digit it holds (3,0000000001 where vn_number shows 3): for messages
    about the very value found in a cell."""
    if not math.isfinite(value) or abs(value) >= 1e15 or float(value).is_integer():
        return vn_number(value)
    text = f"{value:,.15g}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def parse_time(raw: object) -> time | None:
    """A time of day typed as a time cell (a fraction of a day), 'hh:mm' or '15h30' text; None when unreadable."""
    if isinstance(raw, datetime):
        return raw.time().replace(microsecond=0)
    if isinstance(raw, time):
        return raw.replace(microsecond=0)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw < 1:
        minutes = round(raw * 24 * 60)
        return time(*divmod(minutes, 60)) if minutes < 24 * 60 else None
    if isinstance(raw, str):
        match = _TYPED_TIME.match(_SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip())
        if match:
            return _clock(int(match["hour"]), int(match["minute"] or 0), (match["half"] or "").lower().replace(".", ""))
    return None


# '15:30', '15h30', '15g30', '15 giờ 30 phút', '3:30 PM', '3h30 chiều', '9:05 SA' (Vietnamese Windows' AM/PM are SA/CH)
_TYPED_TIME = re.compile(r"^(?P<hour>\d{1,2}) ?(?::|h|g|giờ) ?(?P<minute>\d{2})?(?::\d{2})? ?(?:phút|p)?"
                         r" ?(?P<half>am|pm|a\.m\.|p\.m\.|sa|ch|sáng|trưa|chiều|tối)?$", re.IGNORECASE)
_AFTERNOON, _MORNING = {"pm", "ch", "chiều", "tối"}, {"am", "sa", "sáng"}


def _clock(hour: int, minute: int, half: str) -> time | None:
    """A typed hour of a 24-hour clock, or of a 12-hour one when a half of the day is named (3:30 chiều is 15:30)."""
    if half in _AFTERNOON | _MORNING:
        if not 1 <= hour <= 12:
            return None  # '15:30 PM' or '0:30 sáng' says two things: ask
        hour = hour % 12 + (12 if half in _AFTERNOON else 0)
    elif half == "trưa" and not 11 <= hour <= 13:
        return None
    return time(hour, minute) if hour < 24 and minute < 60 else None
