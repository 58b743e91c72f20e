"""Vietnam time and working days.

Dossiers are received and due in Vietnam time (Asia/Ho_Chi_Minh) whatever
the server's zone; working days are Monday to Friday less the holidays of
the catalogue, which a province loads each year (never a formula here).

Dates are read here too (parse_date): forms take them as Vietnamese people
write them (dd/mm/yyyy), the API as its document declares them (YYYY-MM-DD)."""
import datetime
import re
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_VN_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DATE_ERROR = "Ngày phải có dạng dd/mm/yyyy / a date is dd/mm/yyyy (or YYYY-MM-DD)"


def now_vn():
    return datetime.datetime.now(VN)


def in_vn(moment):
    """An aware datetime shown in Vietnam time."""
    return moment.astimezone(VN)


def is_working_day(day, holidays):
    return day.weekday() < 5 and day not in holidays


def add_working_days(start, days, holidays):
    """The working day `days` working days after the day of `start` (a date or
    a datetime in any zone): a dossier received on Friday with a 1-day limit is
    due on Monday, or later if Monday is a holiday."""
    if isinstance(start, datetime.datetime):
        start = in_vn(start).date()
    day, left = start, days
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def format_vn_datetime(moment):
    """'14:05, ngày 01/12/2026' as Vietnamese people write it."""
    moment = in_vn(moment)
    return f"{moment:%H:%M}, ngày {moment:%d/%m/%Y}"


def format_vn_date(day):
    """21/07/2022. A form's value may be a stored ISO string (shown the same
    way) or what the officer typed, refused (shown back as typed)."""
    if isinstance(day, str):
        try:
            day = parse_date(day, iso_only=True)
        except ValueError:
            return day
    return f"{day:%d/%m/%Y}" if day else ""


def parse_date(text, *, iso_only=False):
    """dd/mm/yyyy or d/m/yyyy (as people write it, the forms) or YYYY-MM-DD
    (the API, whose document says `format: date`: iso_only) → date; ASCII
    digits only; ValueError for anything else, an impossible day included."""
    text = str(text).strip()
    match = _ISO_DATE.fullmatch(text)
    day_first = None if iso_only else _VN_DATE.fullmatch(text)
    if day_first:
        day, month, year = (int(g) for g in day_first.groups())
    elif match:
        year, month, day = (int(g) for g in match.groups())
    else:
        raise ValueError(text)
    return datetime.date(year, month, day)          # ValueError for 31/02


def form_dates(values, fields):
    """A form's values with its dates as the repository takes them
    (YYYY-MM-DD, the API's way), and {field: DATE_ERROR} for those that are
    no date. Those stay as typed, so the repository refuses them (writing
    nothing); the page shows DATE_ERROR, which names the form's way."""
    values, errors = dict(values), {}
    for field in fields:
        text = (values.get(field) or "").strip()
        if text:
            try:
                values[field] = parse_date(text).isoformat()
            except ValueError:
                errors[field] = DATE_ERROR
    return values, errors
