"""The catalogue as a file a province can load: units, paper types,
procedures, holidays and retention schedules, in JSON or YAML.

Every entry is checked before anything is written; an error names the entry
at fault ("procedures[2] (1.000894) › components[0] › doctypes: …"). Entries
are added or replaced by code; entries the file does not name are kept.
The format is documented in docs by example: repository/data/demo-catalogue.yaml."""
import datetime
import json

from . import audit
from .catalogues import (LEVELS, PARTIES, Component, Desk, DocumentType, Holiday, Procedure,
                         RetentionSchedule)
from .errors import ValidationError
from .identifiers import InvalidIdentifier, validate_unit_code

SECTIONS = ("retention", "units", "doctypes", "procedures", "holidays")


def read_catalogue_file(path):
    """The parsed file (a dict), or ValidationError naming what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ValidationError({"file": f"Không đọc được tệp {path}: {exc.strerror}"}) from None
    return parse_catalogue_text(text, yaml_ok=not str(path).endswith(".json"))


def parse_catalogue_text(text, yaml_ok=True):
    try:
        if yaml_ok:
            import yaml
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:     # yaml.YAMLError, json.JSONDecodeError: the parser's own message
        raise ValidationError({"file": f"Tệp danh mục không đúng cú pháp / malformed file: {exc}"}) from None
    if not isinstance(data, dict):
        raise ValidationError({"file": "Tệp danh mục phải là một đối tượng có các mục "
                                       + ", ".join(SECTIONS)})
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ValidationError({"file": "Mục không biết / unknown sections: " + ", ".join(sorted(unknown))})
    return data


class _Checker:
    def __init__(self, catalogues, data):
        self.catalogues, self.data, self.errors = catalogues, data, {}

    def entries(self, section):
        items = self.data.get(section) or []
        if not isinstance(items, list):
            self.errors[section] = "phải là một danh sách / must be a list"
            return []
        return items

    def fail(self, where, message):
        self.errors.setdefault(where, message)

    def codes(self, section, existing):
        found = set(existing)
        for item in self.entries(section):
            if isinstance(item, dict) and item.get("code"):
                found.add(str(item["code"]))
        return found


def _text(item, key, where, checker, required=True):
    value = item.get(key)
    if value is None or str(value).strip() == "":
        if required:
            checker.fail(f"{where} › {key}", "bắt buộc / required")
        return ""
    if not isinstance(value, (str, int, float)):
        checker.fail(f"{where} › {key}", "phải là chuỗi / must be text")
        return ""
    return str(value).strip()


def _where(section, i, item):
    code = item.get("code") or item.get("date") if isinstance(item, dict) else None
    return f"{section}[{i}]" + (f" ({code})" if code else "")


# upper bounds: beyond them dates leave the calendar (year 9999) or a due date
# is counted day by day for ever
MAXIMA = {"years": 200, "validity_months": 1200, "time_limit_days": 365, "count": 100}


def _positive_int(item, key, where, checker, allow_none=False, default=None):
    value = item.get(key, default)
    if value is None and allow_none:
        return None
    most = MAXIMA[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        checker.fail(f"{where} › {key}", f"phải là số nguyên từ 1 đến {most} / a whole number from 1 to {most}"
                     + (" hoặc null" if allow_none else ""))
        return None
    return value


def build_entries(catalogues, data):
    """{section: [(code, object)]} for every entry of data, or ValidationError."""
    ck = _Checker(catalogues, data)
    out = {s: [] for s in SECTIONS}
    retention_codes = ck.codes("retention", catalogues.retention.keys())
    unit_codes = ck.codes("units", catalogues.desks.keys())
    doctype_codes = ck.codes("doctypes", catalogues.doctypes.keys())
    for section in SECTIONS:
        seen = set()
        for i, item in enumerate(ck.entries(section)):
            where = _where(section, i, item)
            if not isinstance(item, dict):
                ck.fail(where, "phải là một đối tượng / must be an object")
                continue
            entry = _BUILDERS[section](item, where, ck, retention_codes, unit_codes, doctype_codes)
            if entry is None:
                continue
            if entry[0] in seen:
                ck.fail(where, f"mã {entry[0]} lặp lại trong tệp / duplicate code")
            seen.add(entry[0])
            out[section].append(entry)
    if ck.errors:
        raise ValidationError(ck.errors)
    return out


def _retention(item, where, ck, *_):
    code, name = _text(item, "code", where, ck), _text(item, "name", where, ck)
    years = _positive_int(item, "years", where, ck, allow_none=True)
    if code and name and not ck.errors.get(f"{where} › years"):
        return code, RetentionSchedule(code, name, years)
    return None


def _unit(item, where, ck, _r, unit_codes, _d):
    code, name = _text(item, "code", where, ck), _text(item, "name", where, ck)
    level, parent = _text(item, "level", where, ck), item.get("parent")
    try:
        validate_unit_code(code)
    except InvalidIdentifier as exc:
        ck.fail(f"{where} › code", str(exc))
        return None
    if level not in LEVELS:
        ck.fail(f"{where} › level", "là một trong / one of: " + ", ".join(LEVELS))
        return None
    if parent is not None and str(parent) not in unit_codes:
        ck.fail(f"{where} › parent", f"không có đơn vị {parent} / unknown unit")
        return None
    if parent is not None and str(parent) == code:
        ck.fail(f"{where} › parent", "một đơn vị không là cấp trên của chính nó")
        return None
    return (code, Desk(code, level, name, str(parent) if parent is not None else None)) if name else None


def _doctype(item, where, ck, retention_codes, *_):
    code, name = _text(item, "code", where, ck), _text(item, "name", where, ck)
    retention = _text(item, "retention", where, ck)
    months = _positive_int(item, "validity_months", where, ck, allow_none=True)
    if code and not code.replace("_", "").isalnum():
        ck.fail(f"{where} › code", "chỉ gồm chữ và số / letters and digits only")
        return None
    if retention and retention not in retention_codes:
        ck.fail(f"{where} › retention", f"không có lớp lưu trữ {retention} / unknown retention class")
        return None
    if code and name and retention and f"{where} › validity_months" not in ck.errors:
        return code, DocumentType(code, name, retention, months)
    return None


def _procedure(item, where, ck, retention_codes, unit_codes, doctype_codes):
    code, name = _text(item, "code", where, ck), _text(item, "name", where, ck)
    level, agency = _text(item, "level", where, ck), _text(item, "agency", where, ck)
    days = _positive_int(item, "time_limit_days", where, ck)
    result_type = _text(item, "result_type", where, ck, required=False) or None
    retention = _text(item, "retention", where, ck, required=False) or None
    if retention and retention not in retention_codes:
        ck.fail(f"{where} › retention", f"không có lớp lưu trữ {retention} / unknown retention class")
    if level and level not in LEVELS:
        ck.fail(f"{where} › level", "là một trong / one of: " + ", ".join(LEVELS))
    if agency and agency not in unit_codes:
        ck.fail(f"{where} › agency", f"không có đơn vị {agency} / unknown unit")
    if result_type and result_type not in doctype_codes:
        ck.fail(f"{where} › result_type", f"không có loại giấy tờ {result_type} / unknown paper type")
    raw_components = item.get("components")
    components, keys = [], set()
    if not isinstance(raw_components, list) or not raw_components:
        ck.fail(f"{where} › components", "cần ít nhất một thành phần / at least one component")
        raw_components = []
    for j, comp in enumerate(raw_components):
        cwhere = f"{where} › components[{j}]"
        if not isinstance(comp, dict):
            ck.fail(cwhere, "phải là một đối tượng / must be an object")
            continue
        key, cname = _text(comp, "key", cwhere, ck), _text(comp, "name", cwhere, ck)
        types = comp.get("doctypes")
        if not isinstance(types, list) or not types:
            ck.fail(f"{cwhere} › doctypes", "cần ít nhất một loại giấy tờ / at least one paper type")
            continue
        missing = [str(t) for t in types if str(t) not in doctype_codes]
        if missing:
            ck.fail(f"{cwhere} › doctypes", "không có loại giấy tờ / unknown paper type: " + ", ".join(missing))
            continue
        party = comp.get("party", "applicant")
        if party not in PARTIES:
            ck.fail(f"{cwhere} › party", "là applicant hoặc other")
            continue
        count = _positive_int(comp, "count", cwhere, ck, default=1)
        required = comp.get("required", True)
        if not isinstance(required, bool):
            ck.fail(f"{cwhere} › required", "là true hoặc false")
            continue
        if key in keys:
            ck.fail(f"{cwhere} › key", f"khoá {key} lặp lại / duplicate key")
            continue
        keys.add(key)
        if key and cname and count:
            components.append(Component(key, cname, [str(t) for t in types], required, count, party))
    if any(k.startswith(where) for k in ck.errors):
        return None
    return code, Procedure(code, name, components, days, level, agency=agency, result_type=result_type,
                           retention=retention)


def _holiday(item, where, ck, *_):
    raw, name = item.get("date"), _text(item, "name", where, ck)
    try:
        day = raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(str(raw))
    except ValueError:
        ck.fail(f"{where} › date", f"ngày '{raw}' không đúng dạng YYYY-MM-DD")
        return None
    return (day.isoformat(), Holiday(day, name)) if name else None


_BUILDERS = {"retention": _retention, "units": _unit, "doctypes": _doctype,
             "procedures": _procedure, "holidays": _holiday}
_FOLDERS = {"retention": "retention", "units": "desks", "doctypes": "doctypes",
            "procedures": "procedures", "holidays": "holidays"}


def load_catalogue(root, data, actor, source=""):
    """Check every entry of data, then add or replace them all; returns
    {section: [objects written]}. ValidationError (naming each entry at
    fault) writes nothing."""
    entries = build_entries(root.catalogues, data)
    written = {}
    for section, items in entries.items():
        folder = root.catalogues[_FOLDERS[section]]
        for code, obj in items:
            if code in folder:
                folder.remove(code)
            folder.add(code, obj)
        written[section] = [obj for _, obj in items]
    audit.record(root, actor, "load_catalogue",
                 detail={"source": source, "counts": {s: len(v) for s, v in written.items()}})
    return written


def load_one(root, catalogue, item, actor):
    """Add or replace one entry of a catalogue (the API's write), with the
    same checks as a file; returns the object written."""
    sections = {folder: section for section, folder in _FOLDERS.items()}
    if catalogue not in sections:
        raise ValidationError({"catalogue": "Không có danh mục này / unknown catalogue"})
    if not isinstance(item, dict):
        raise ValidationError({"body": "Cần một đối tượng JSON / a JSON object is expected"})
    written = load_catalogue(root, {sections[catalogue]: [item]}, actor, source=f"api:{catalogue}")
    return written[sections[catalogue]][0]
