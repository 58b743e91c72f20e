"""Validation of the identifiers RULES-VN names: personal id, enterprise code,
dossier code, unit code. Every input passes through here, so the messages
are the ones a person sees (Vietnamese first, English after a slash)."""
import datetime
import re

from .calendar import parse_date as read_date

ENTERPRISE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# ASCII digits only: Python's \d (and str.isdigit) also match full-width and
# Arabic-Indic digits, which would make "００１…" a second key beside "001…".
# \Z, not $: "$" also matches before a final newline.
_DIGITS12 = re.compile(r"[0-9]{12}\Z", re.ASCII)
_ENTERPRISE = re.compile(r"([0-9]{10})(?:-?([0-9]{3}))?\Z", re.ASCII)
_UNIT = re.compile(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z", re.ASCII)
_DOSSIER = re.compile(r"([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})-([0-9]{6})-([0-9]{4})\Z", re.ASCII)


class InvalidIdentifier(ValueError):
    """An identifier that breaks its format; str() is the message to show."""


def validate_personal_id(value, birth_date=None, sex=None):
    """Return the 12-digit personal id, or raise InvalidIdentifier.

    Digits 1-3 are the province (001-096), digit 4 codes century and sex,
    digits 5-6 the year of birth; when the date of birth ('YYYY-MM-DD' or a
    date) and sex ('male'/'female') are known they must agree with them.
    """
    value = (value or "").strip()
    if not _DIGITS12.match(value):
        raise InvalidIdentifier(
            "Số định danh cá nhân phải gồm đúng 12 chữ số / "
            "A personal id has exactly 12 digits")
    province = int(value[:3])
    if not 1 <= province <= 96:
        raise InvalidIdentifier(
            f"Mã tỉnh {value[:3]} không hợp lệ (001–096) / "
            f"Province code {value[:3]} is not between 001 and 096")
    century_sex = int(value[3])
    century = 1900 + (century_sex // 2) * 100
    year = century + int(value[4:6])
    id_sex = "male" if century_sex % 2 == 0 else "female"
    if birth_date:
        if isinstance(birth_date, str):
            birth_date = parse_date(birth_date)
        if birth_date.year != year:
            raise InvalidIdentifier(
                f"Năm sinh {birth_date.year} không khớp với số định danh (năm {year}) / "
                f"Year of birth {birth_date.year} does not match the id ({year})")
    if sex and sex != id_sex:
        raise InvalidIdentifier(
            "Giới tính không khớp với chữ số thứ tư của số định danh / "
            "Sex does not match the fourth digit of the id")
    return value


def enterprise_check_digit(first9):
    """The 10th digit of an enterprise code, or None where the rule gives 10."""
    total = sum(w * int(d) for w, d in zip(ENTERPRISE_WEIGHTS, first9))
    check = 10 - (total % 11)
    return None if check == 10 else check


def validate_enterprise_code(value):
    """Return the enterprise code as 'NNNNNNNNNN' or 'NNNNNNNNNN-NNN'."""
    value = (value or "").strip()
    match = _ENTERPRISE.match(value)
    if not match:
        raise InvalidIdentifier(
            "Mã số doanh nghiệp gồm 10 chữ số, chi nhánh thêm -001…-999 / "
            "An enterprise code has 10 digits, a branch adds -001…-999")
    main, branch = match.groups()
    expected = enterprise_check_digit(main[:9])
    if expected is None or expected != int(main[9]):
        raise InvalidIdentifier(
            "Chữ số kiểm tra của mã số doanh nghiệp không đúng / "
            "The enterprise code's check digit is wrong")
    if branch == "000":
        raise InvalidIdentifier(
            "Mã chi nhánh phải từ 001 đến 999 / A branch number runs from 001 to 999")
    return f"{main}-{branch}" if branch else main


def validate_subject_id(value):
    """A warehouse key: a personal id (12 digits) or an enterprise code."""
    value = (value or "").strip()
    if _DIGITS12.match(value):
        return "person", validate_personal_id(value)
    if _ENTERPRISE.match(value):
        return "organisation", validate_enterprise_code(value)
    raise InvalidIdentifier(
        "Nhập số định danh cá nhân (12 chữ số) hoặc mã số doanh nghiệp (10 chữ số) / "
        "Enter a personal id (12 digits) or an enterprise code (10 digits)")


def validate_unit_code(value):
    value = (value or "").strip()
    if not _UNIT.match(value):
        raise InvalidIdentifier(
            "Mã đơn vị phải có dạng V1V2V3.Z1Z2.Y1Y2.MX1X2 (QCVN 102:2016), ví dụ 000.00.15.H10 / "
            "A unit code looks like 000.00.15.H10")
    return value


def validate_dossier_code(value):
    """`V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX` with a real date and sequence ≥ 1."""
    value = (value or "").strip()
    match = _DOSSIER.match(value)
    if not match:
        raise InvalidIdentifier(
            "Mã hồ sơ phải có dạng 000.00.15.H10-250131-0001 (Thông tư 01/2018/TT-VPCP) / "
            "A dossier code looks like 000.00.15.H10-250131-0001")
    _, yymmdd, seq = match.groups()
    try:
        datetime.datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        raise InvalidIdentifier(
            f"Ngày tiếp nhận {yymmdd} trong mã hồ sơ không có thật / "
            f"The date {yymmdd} in the dossier code does not exist") from None
    if seq == "0000":
        raise InvalidIdentifier("Số thứ tự hồ sơ bắt đầu từ 0001 / The sequence starts at 0001")
    return value


def format_dossier_code(unit_code, day, sequence):
    return f"{validate_unit_code(unit_code)}-{day:%y%m%d}-{sequence:04d}"


def parse_date(value):
    """'YYYY-MM-DD' (ASCII digits) → date; a clear message otherwise."""
    if isinstance(value, datetime.date):
        return value
    try:
        return read_date(value, iso_only=True)
    except ValueError:
        raise InvalidIdentifier(
            f"Ngày '{value}' không đúng dạng YYYY-MM-DD / Date '{value}' is not YYYY-MM-DD") from None
