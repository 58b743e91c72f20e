"""Catalogues: document types, procedures, desks, retention schedules.

Sector rules change by decision, not by release, so they are data here."""
from persistent import Persistent

from .folder import Folder
from .identifiers import InvalidIdentifier, validate_unit_code

LEVELS = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


class CatalogueFolder(Folder):
    """One catalogue (document types, procedures, desks or retention schedules)."""


# as_dict() of every entry is in the catalogue file's format
# (repository/catalogue_file.py), so what the API reads can be posted back.


class Catalogues(Persistent):
    def __init__(self):
        self.doctypes = self._child("doctypes")
        self.procedures = self._child("procedures")
        self.desks = self._child("desks")
        self.retention = self._child("retention")
        self.holidays = self._child("holidays")

    def _child(self, name):
        folder = CatalogueFolder()
        folder.__name__, folder.__parent__ = name, self
        return folder

    def __getitem__(self, name):
        if name in self.NAMES:
            return getattr(self, name)
        raise KeyError(name)

    NAMES = ("doctypes", "procedures", "desks", "retention", "holidays")

    def holiday_dates(self):
        """The set of holiday dates, for working-day arithmetic."""
        return {h.date for h in self.holidays.values()}


class RetentionSchedule(Persistent):
    """Permanent (years=None) or N years from the end of the year work ended."""

    def __init__(self, code, name, years=None):
        if years is not None and (not isinstance(years, int) or years < 1):
            raise InvalidIdentifier("Thời hạn lưu trữ phải là số năm ≥ 1 hoặc vĩnh viễn")
        self.code, self.name, self.years = code, name, years

    def as_dict(self):
        return {"code": self.code, "name": self.name, "years": self.years,
                "permanent": self.years is None}


class DocumentType(Persistent):
    """A kind of paper. validity_months=None: valid until revoked."""

    def __init__(self, code, name, retention_class, validity_months=None):
        self.code, self.name = code, name
        self.retention_class = retention_class
        self.validity_months = validity_months

    def as_dict(self):
        return {"code": self.code, "name": self.name, "retention": self.retention_class,
                "validity_months": self.validity_months}


PARTIES = {"applicant": "Người nộp hồ sơ", "other": "Người có liên quan"}


class Component:
    """One paper a procedure asks for: the paper types that satisfy it (an ID
    card or a passport), whether it is required, how many, and whose it is
    (the applicant's, or the other person's in a two-person procedure).
    Immutable: a change of the catalogue replaces the procedure's tuple."""

    def __init__(self, key, name, doctypes, required=True, count=1, party="applicant"):
        self.key, self.name = key, name
        self.doctypes = tuple(doctypes)
        self.required, self.count, self.party = bool(required), int(count), party

    def as_dict(self):
        return {"key": self.key, "name": self.name, "doctypes": list(self.doctypes),
                "required": self.required, "count": self.count, "party": self.party}


class Procedure(Persistent):
    """An administrative procedure of the national database (code kept opaque):
    the competent agency (a unit code), the time limit in working days, the
    result's paper type and the components."""
    agency = None
    result_type = None
    retention = None              # the dossiers' retention schedule code (None: retention.DOSSIER_DEFAULT)

    def __init__(self, code, name, components, time_limit_days, level, agency=None, result_type=None,
                 retention=None):
        if level not in LEVELS:
            raise InvalidIdentifier(f"Cấp thẩm quyền '{level}' không hợp lệ")
        self.code, self.name = code, name
        self.components = tuple(components)
        self.time_limit_days = time_limit_days
        self.level = level
        self.agency = agency
        self.result_type = result_type
        self.retention = retention

    def component(self, key):
        for component in self.components:
            if component.key == key:
                return component
        return None

    @property
    def needs_other_person(self):
        return any(c.party == "other" for c in self.components)

    def as_dict(self):
        return {"code": self.code, "name": self.name, "level": self.level,
                "agency": self.agency, "time_limit_days": self.time_limit_days,
                "result_type": self.result_type, "retention": self.retention,
                "components": [c.as_dict() for c in self.components]}


class Holiday(Persistent):
    """A public holiday (or a day off decided by the government), by ISO date."""

    def __init__(self, day, name):
        self.date, self.name = day, name

    def as_dict(self):
        return {"date": self.date.isoformat(), "name": self.name}


class Desk(Persistent):
    """A one-stop desk of a unit (QCVN 102:2016 unit code)."""

    def __init__(self, unit_code, level, name, parent_unit=None):
        if level not in LEVELS:
            raise InvalidIdentifier(f"Cấp '{level}' không hợp lệ")
        self.unit_code = validate_unit_code(unit_code)
        self.level, self.name, self.parent_unit = level, name, parent_unit

    def as_dict(self):
        return {"code": self.unit_code, "level": self.level,
                "name": self.name, "parent": self.parent_unit}
