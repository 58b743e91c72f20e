"""Vietnam time and working days.

Dossiers are received and due in Vietnam time (Asia/Ho_Chi_Minh) whatever
the server's zone; working days are Monday to Friday less the holidays of
the catalogue, which a province loads each year (never a formula here)."""
import datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


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
    return f"{day:%d/%m/%Y}" if day else ""
