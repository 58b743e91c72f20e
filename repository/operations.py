"""The writes and audited reads of the warehouse.

Each function checks all its input before it changes anything, so a refusal
leaves nothing half-written, and records what it did in the audit trail."""
import secrets
import uuid


from . import audit
from . import roles as R
from .blobs import blob_of
from .content import ContentError, extension_for, inspect
from .errors import Conflict, Refused, ValidationError
from .identifiers import (InvalidIdentifier, parse_date, validate_dossier_code,
                          validate_personal_id, validate_subject_id)
from .indexing import touched
from .ocr_jobs import queue_ocr
from .signatures import check_signatures
from .resources import EXTRACTIONS, PROVENANCES, STATES, Document, Warehouse, utcnow

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def create_warehouse(root, subject_id, name, actor, birth_date=None, sex=None):
    errors = {}
    try:
        kind, subject_id = validate_subject_id(subject_id)
    except InvalidIdentifier as exc:
        errors["subject_id"] = str(exc)
        kind = None
    name = (name or "").strip()
    if not name:
        errors["name"] = "Cần họ tên hoặc tên tổ chức / a name is required"
    if sex not in (None, "", "male", "female"):
        errors["sex"] = "Giới tính là male hoặc female"
    if birth_date:
        try:
            birth_date = parse_date(birth_date)
        except InvalidIdentifier as exc:
            errors["birth_date"] = str(exc)
    if kind == "person" and not errors:
        try:
            validate_personal_id(subject_id, birth_date=birth_date, sex=sex or None)
        except InvalidIdentifier as exc:
            errors["subject_id"] = str(exc)
    if not errors and subject_id in root.subjects:
        errors["subject_id"] = f"Kho của {subject_id} đã có / the warehouse already exists"
    if errors:
        raise ValidationError(errors)
    warehouse = root.subjects.add(
        subject_id, Warehouse(subject_id, kind, name, birth_date=birth_date, sex=sex or None))
    audit.record(root, actor, "create_warehouse", subject=subject_id)
    return warehouse


DATE_FIELDS = ("issue_date", "valid_from", "valid_until")      # YYYY-MM-DD here; forms: calendar.form_dates


def clean_metadata(raw, catalogues):
    """Turn submitted strings into Document fields, or raise ValidationError."""
    errors, clean = {}, {}
    type_code = (raw.get("type_code") or "").strip()
    if not type_code:
        errors["type_code"] = "Cần mã loại giấy tờ / the paper-type code is required"
    elif type_code not in catalogues.doctypes:
        errors["type_code"] = f"Không có loại giấy tờ {type_code} / unknown paper type"
    clean["type_code"] = type_code
    name = (raw.get("name") or "").strip()
    if not name and type_code in catalogues.doctypes:
        name = catalogues.doctypes[type_code].name
    clean["name"] = name
    for field in ("number", "issuer", "summary", "validity_scope", "procedure_code"):
        clean[field] = (raw.get(field) or "").strip()
    for field in DATE_FIELDS:
        value = (raw.get(field) or "").strip()
        try:
            clean[field] = parse_date(value) if value else None
        except InvalidIdentifier as exc:
            errors[field] = str(exc)
    if clean.get("valid_from") and clean.get("valid_until") and clean["valid_until"] < clean["valid_from"]:
        errors["valid_until"] = "Ngày hết hiệu lực trước ngày có hiệu lực / ends before it starts"
    for field, allowed, default in (("state", STATES, "in_force"),
                                    ("provenance", PROVENANCES, "uploaded"),
                                    ("extraction", EXTRACTIONS, "manual")):
        value = (raw.get(field) or default).strip()
        if value not in allowed:
            errors[field] = f"Giá trị phải là một trong: {', '.join(allowed)}"
        clean[field] = value
    dossier_code = (raw.get("dossier_code") or "").strip()
    if dossier_code:
        try:
            validate_dossier_code(dossier_code)
        except InvalidIdentifier as exc:
            errors["dossier_code"] = str(exc)
    clean["dossier_code"] = dossier_code
    if errors:
        raise ValidationError(errors)
    return clean


EDITABLE = ("type_code", "name", "number", "issue_date", "issuer", "summary", "valid_from",
            "valid_until", "validity_scope", "state", "dossier_code", "procedure_code")


def current_metadata(document):
    """The document's metadata as the strings a form shows."""
    values = {}
    for field in EDITABLE:
        value = getattr(document, field)
        values[field] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
    values["provenance"] = document.provenance
    return values


FIXED_AFTER_UPLOAD = ("dossier_code", "procedure_code")   # what a paper was digitized for


def edit_refusal(root, document, actor):
    """Why actor may not change the paper's metadata now (a Refused or a
    Conflict to raise), or None. A paper signed at the desk or used in an
    approved dossier is what others rely on: only a records manager corrects
    it (audited). Before that, the digitizer of the paper, or staff of a unit
    handling an open dossier of its owner, may correct it."""
    from .dossiers import open_dossiers_for
    if actor is not None and R.RECORDS in actor.roles:
        return None
    if document.signed_by or document.approved_in:
        return Conflict("Giấy tờ đã được ký số hoặc đã dùng trong hồ sơ đã giải quyết: không sửa được "
                        "thông tin; cán bộ lưu trữ điều chỉnh khi cần / signed or used: records only")
    if actor is not None and (document.created_by == actor.username
                              or open_dossiers_for(root, document.owner_id, actor)):
        return None
    return Refused("Đơn vị của bạn không xử lý hồ sơ nào đang mở của người này / not your unit's person")


def update_metadata(root, document, raw, actor):
    """Change some metadata fields (the others stay); ValidationError changes nothing."""
    unknown = set(raw) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: "Trường này không sửa được / not an editable field" for k in unknown})
    refusal = edit_refusal(root, document, actor)
    if refusal is not None:
        raise refusal
    merged = dict(current_metadata(document), **{k: "" if v is None else str(v) for k, v in raw.items()})
    metadata = clean_metadata(merged, root.catalogues)
    changed = {k: merged[k] for k in raw if metadata[k] != getattr(document, k)}
    fixed = [k for k in FIXED_AFTER_UPLOAD if k in changed]
    if fixed:
        raise ValidationError({k: "Hồ sơ của giấy tờ được ghi khi số hoá, không đổi được / "
                                  "set when the paper was digitized" for k in fixed})
    for field in EDITABLE:
        setattr(document, field, metadata[field])
    touched(root, document)
    audit.record(document, actor, "update_metadata", subject=document.owner_id,
                 document=document.__name__, detail=changed)
    return document


def check_dossier_code(root, owner_id, actor, code):
    """A paper is digitized for a real dossier: open, of its owner, handled by
    the actor's unit. Returns the dossier's procedure code."""
    from .dossiers import unit_handles
    dossier = root.dossiers.get(code)
    if dossier is None or owner_id not in dossier.persons:
        raise ValidationError({"dossier_code": "Không có hồ sơ này của người này / no such dossier of this person"})
    if not dossier.is_open:
        raise ValidationError({"dossier_code": "Hồ sơ đã đóng / the dossier is closed"})
    if not unit_handles(actor, dossier):
        raise ValidationError({"dossier_code": "Đơn vị của bạn không xử lý hồ sơ này / not your unit's dossier"})
    return dossier.procedure_code


def delete_document(root, document, actor, reason=""):
    """Take a paper out of use: hidden from lists, counts and search, and gone
    (not found) for everyone but records managers, who may restore it
    (repository.reading.is_gone); kept for restore."""
    if document.deleted:
        raise ValidationError({"document": "Giấy tờ đã bị xoá / already deleted"})
    document.deleted = utcnow()
    document.__parent__.count_deletion(+1)
    touched(root, document)
    audit.record(document, actor, "delete_document", subject=document.owner_id,
                 document=document.__name__, detail={"reason": reason})


def restore_document(root, document, actor):
    if not document.deleted:
        raise ValidationError({"document": "Giấy tờ chưa bị xoá / not deleted"})
    if document.destroyed:
        raise ValidationError({"document": "Giấy tờ đã bị huỷ theo quy định lưu trữ / destroyed"})
    document.deleted = None
    document.__parent__.count_deletion(-1)
    touched(root, document)
    audit.record(document, actor, "restore_document", subject=document.owner_id,
                 document=document.__name__)


def new_document_id():
    return uuid.uuid4().hex[:16]


def add_document(root, warehouse, data, filename, raw_metadata, actor,
                 max_bytes=DEFAULT_MAX_BYTES, trust_roots=()):
    """Store a new paper in warehouse: validate all, then write once.

    A PDF that arrives signed is kept byte for byte, with its signatures' report."""
    errors = {}
    metadata = None
    try:
        metadata = clean_metadata(raw_metadata, root.catalogues)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        facts = inspect(data, max_bytes)
    except ContentError as exc:
        errors["file"] = str(exc)
    if metadata is not None and metadata["dossier_code"]:
        try:
            metadata["procedure_code"] = check_dossier_code(root, warehouse.subject_id, actor,
                                                            metadata["dossier_code"])
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    blob = blob_of(data)
    document = Document(
        owner_id=warehouse.subject_id, original=blob,
        filename=_safe_filename(filename, facts.content_type),
        content_type=facts.content_type, size=facts.size, sha256=facts.sha256,
        pages=facts.pages, created_by=actor.username, **metadata)
    if facts.active_content:
        document.active_content = facts.active_content      # the paper's page warns of it
    document.signature_report = check_signatures(data, trust_roots)
    document.digitized_for = metadata["dossier_code"] or None
    doc_id = new_document_id()
    warehouse.documents.add(doc_id, document)
    queue_ocr(root, document)
    touched(root, document)
    audit.record(warehouse, actor, "add_document", subject=warehouse.subject_id,
                 document=doc_id, detail={"sha256": facts.sha256, "type_code": metadata["type_code"],
                                          "size": facts.size})
    return document


def _safe_filename(filename, content_type):
    """The name kept for the file: no folders, no characters a file system or a
    header refuses, and the extension of the type its bytes showed (a PDF
    named 'scan.exe' is kept as 'scan.pdf')."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?')[:120].strip(" .")
    if not name:
        name = f"document-{secrets.token_hex(4)}"
    return extension_for(name, content_type)
