"""What one index record holds, and the checks an upsert passes before indexing.

A record is a plain dict; `clean_record` validates it and returns the
normalized copy the engine indexes. Engine-independent.
"""
import datetime
import unicodedata

from .errors import InvalidDocument

__all__ = ["FIELDS", "FACET_FIELDS", "VALUE_FILTER_FIELDS", "VALIDITY_STATES",
           "clean_record", "clean_value"]

# field name -> kind
FIELDS = {
    "doc_id": "id",            # unique, required
    "text": "text",            # OCR (or keyed) text of the paper
    "paper_name": "text",      # tên giấy tờ
    "type_code": "code",       # mã loại giấy tờ
    "number": "code",          # số, ký hiệu: "123/QĐ-UBND"
    "issuer": "string",        # cơ quan ban hành
    "issue_date": "date",      # ngày ban hành (gives `year`)
    "valid_until": "date",     # hiệu lực đến
    "validity": "code",        # in_force / expired / revoked
    "owner_id": "code",        # personal id / enterprise code of the owner
    "dossier_codes": "codes",  # mã hồ sơ it came with (several)
    "provenance": "code",      # e.g. ocr / manual / imported
    "state": "code",           # the document's state in the repository
    "desk": "code",            # desk (BPMC) code
    "stamp": "stamp",          # caller's version (str, int or bytes)
}
VALIDITY_STATES = ("in_force", "expired", "revoked")
FACET_FIELDS = ("type_code", "year", "state", "desk", "validity")
VALUE_FILTER_FIELDS = ("type_code", "year", "state", "desk", "validity", "provenance")
MAX_CODE_LENGTH = 200


def clean_value(field, value):
    """Normalize one code-like value the way it is indexed (NFC, stripped)."""
    if field == "year":
        try:
            year = int(value)
        except (TypeError, ValueError):
            raise InvalidDocument("year must be a whole number, not %r" % (value,)) from None
        if not 1 <= year <= 9999:
            raise InvalidDocument("year %r is out of range" % (value,))
        return year
    if not isinstance(value, str):
        raise InvalidDocument("%s must be text, not %s" % (field, type(value).__name__))
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > MAX_CODE_LENGTH:
        raise InvalidDocument("%s is longer than %d characters" % (field, MAX_CODE_LENGTH))
    return value


def _date(field, value, doc_id):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InvalidDocument("document %r: %s must be a date or YYYY-MM-DD, not %r"
                          % (doc_id, field, value))


def clean_record(record):
    """Return a validated, normalized copy of an upsert record.

    Raises InvalidDocument naming the document and the field at fault.
    """
    if not isinstance(record, dict):
        raise InvalidDocument("a document must be a dict, not %s" % type(record).__name__)
    doc_id = record.get("doc_id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise InvalidDocument("a document needs a non-empty text doc_id, got %r" % (doc_id,))
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise InvalidDocument("document %r: unknown field(s) %s; known fields: %s"
                              % (doc_id, ", ".join(unknown), ", ".join(FIELDS)))
    out = {"doc_id": doc_id.strip()}
    for field, kind in FIELDS.items():
        value = record.get(field)
        if field == "doc_id" or value is None:
            continue
        if kind == "text" or kind == "string":
            if not isinstance(value, str):
                raise InvalidDocument("document %r: %s must be text, not %s"
                                      % (doc_id, field, type(value).__name__))
            out[field] = unicodedata.normalize("NFC", value)
        elif kind == "code":
            try:
                cleaned = clean_value(field, value)
            except InvalidDocument as exc:
                raise InvalidDocument("document %r: %s" % (doc_id, exc)) from None
            if cleaned:
                out[field] = cleaned
        elif kind == "codes":
            if isinstance(value, str) or not hasattr(value, "__iter__"):
                raise InvalidDocument("document %r: %s must be a list of codes, not %r"
                                      % (doc_id, field, value))
            codes = []
            for code in value:
                try:
                    code = clean_value(field, code)
                except InvalidDocument as exc:
                    raise InvalidDocument("document %r: %s" % (doc_id, exc)) from None
                if code and code not in codes:
                    codes.append(code)
            out[field] = codes
        elif kind == "date":
            date = _date(field, value, doc_id)
            if date is not None:
                out[field] = date
        elif kind == "stamp":
            if not isinstance(value, (str, int, bytes)) or isinstance(value, bool):
                raise InvalidDocument("document %r: stamp must be str, int or bytes, not %s"
                                      % (doc_id, type(value).__name__))
            out[field] = value
    if "issue_date" in out:
        out["year"] = out["issue_date"].year
    return out
