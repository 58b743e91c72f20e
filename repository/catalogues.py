"""Catalogues: document types, procedures, desks, retention schedules.

Sector rules change by decision, not by release, so they are data here."""
from persistent import Persistent
from persistent.list import PersistentList

from .folder import Folder
from .identifiers import InvalidIdentifier, validate_unit_code

LEVELS = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


class CatalogueFolder(Folder):
    """One catalogue (document types, procedures, desks or retention schedules)."""


class Catalogues(Persistent):
    def __init__(self):
        self.doctypes = self._child("doctypes")
        self.procedures = self._child("procedures")
        self.desks = self._child("desks")
        self.retention = self._child("retention")

    def _child(self, name):
        folder = CatalogueFolder()
        folder.__name__, folder.__parent__ = name, self
        return folder

    def __getitem__(self, name):
        if name in ("doctypes", "procedures", "desks", "retention"):
            return getattr(self, name)
        raise KeyError(name)


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
        return {"code": self.code, "name": self.name,
                "retention_class": self.retention_class,
                "validity_months": self.validity_months}


class Procedure(Persistent):
    """An administrative procedure of the national database (code kept opaque)."""

    def __init__(self, code, name, components, time_limit_days, level):
        if level not in LEVELS:
            raise InvalidIdentifier(f"Cấp thẩm quyền '{level}' không hợp lệ")
        self.code, self.name = code, name
        self.components = PersistentList(components)   # document type codes
        self.time_limit_days = time_limit_days
        self.level = level

    def as_dict(self):
        return {"code": self.code, "name": self.name,
                "components": list(self.components),
                "time_limit_days": self.time_limit_days, "level": self.level}


class Desk(Persistent):
    """A one-stop desk of a unit (QCVN 102:2016 unit code)."""

    def __init__(self, unit_code, level, name, parent_unit=None):
        if level not in LEVELS:
            raise InvalidIdentifier(f"Cấp '{level}' không hợp lệ")
        self.unit_code = validate_unit_code(unit_code)
        self.level, self.name, self.parent_unit = level, name, parent_unit

    def as_dict(self):
        return {"unit_code": self.unit_code, "level": self.level,
                "name": self.name, "parent_unit": self.parent_unit}
