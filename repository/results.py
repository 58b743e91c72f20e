"""Results of procedures and electronic copies (sao y), signed by the agency.

After approval the competent agency's processor issues the result: a PDF
the processor uploads, or one Kho makes from the procedure's template (the
agency's heading, the decision, the owner's data, the validity). It carries
its QR code (repository.verification) top-left of page 1, is signed with the
agency's key in the `result` profile (the red seal over the signature, name
and time, bottom-right of page 1), and is filed in the owner's warehouse as
a paper of the procedure's result type: provenance `agency_result`, in
force, signed, with the dossier's code, reusable under the owner's consent
like any other paper (repository.reception.why_not_reusable).

An electronic copy (sao y) of any signed paper is a new PDF: the paper's
pages under a band with the copy's QR code, signed with the agency key in
the `copy` profile (top-right, no image, 10 pt, ISO 8601 time, +07:00). It is
kept with its verification record and follows the paper it copies (revoked
or expired with it).

No Pyramid here: the caller passes the settings (signing keys, public URL)."""
import datetime
import hashlib


from . import audit, verification
from .blobs import blob_of
from .calendar import in_vn
from .consents import SYSTEM_NAME, public_url
from .dossiers import RESOLVED, _role_in, note, utcnow
from .errors import Conflict, Refused, ValidationError
from .reception import _add_months
from .resources import Document
from .signatures import AGENCY_SIGNER, SIGNED, agency_name, check_signatures, load_signer, trust_roots

COPY_KIND = "SAO Y"
COPY_TITLE = "BẢN SAO ĐIỆN TỬ (SAO Y)"
RESULT_SCOPE = "Toàn quốc"
SEXES = {"male": "Nam", "female": "Nữ"}
MAX_UPLOAD = 20 * 1024 * 1024

# The decision's text per result type ({owner}, {agency}, {procedure}, {birth} are filled in);
# a province changes them here or gives its own text when issuing.
TEMPLATES = {
    "XNTTHN": ("{agency} xác nhận: {owner}, sinh ngày {birth}, trong thời gian cư trú tại địa phương "
               "chưa đăng ký kết hôn với ai.\n\n"
               "Giấy xác nhận này được cấp để sử dụng vào việc đăng ký kết hôn; có giá trị sáu tháng "
               "kể từ ngày cấp."),
    "GKS": "{agency} chứng nhận việc đăng ký khai sinh cho {owner}, sinh ngày {birth}.",
    "GCNKH": "{agency} chứng nhận việc đăng ký kết hôn của {owner} theo hồ sơ nêu trên.",
    "LLTP": "{agency} cấp Phiếu lý lịch tư pháp cho {owner}, sinh ngày {birth}: không có án tích.",
    "BSCT": "{agency} chứng thực bản sao đúng với bản chính cho {owner}.",
    "QDTCTN": "{agency} quyết định cho {owner} được hưởng trợ cấp thất nghiệp theo quy định.",
}
DEFAULT_TEMPLATE = ("{agency} giải quyết thủ tục «{procedure}» cho {owner}: chấp thuận theo hồ sơ "
                    "nêu trên.")


DESK_PREFIX = "Bộ phận Một cửa "


def unit_title(name):
    """The agency a unit's one-stop desk belongs to, as a paper's heading names
    it: 'Bộ phận Một cửa UBND phường Cốc Lếu' → 'UBND phường Cốc Lếu'."""
    return name[len(DESK_PREFIX):] if name.startswith(DESK_PREFIX) else name


def result_of(root, dossier):
    """The result paper filed for dossier, or None."""
    ref = getattr(dossier, "result_document", None)
    if not ref:
        return None
    warehouse = root.subjects.get(ref[0])
    return warehouse.documents.get(ref[1]) if warehouse is not None else None


def _sign(pdf, settings, profile, **options):
    import signing
    signer = load_signer(settings, AGENCY_SIGNER)
    try:
        return signing.sign_pdf(pdf, signer, profile, agency=agency_name(settings),
                                tsa_url=settings.get("kho.tsa_url") or None, **options)
    finally:
        signing.close_signer(signer)


def _check_upload(upload):
    if upload is None:
        return None
    if not isinstance(upload, (bytes, bytearray)) or not bytes(upload).startswith(b"%PDF-"):
        raise ValidationError({"file": "Kết quả tải lên phải là tệp PDF / the result must be a PDF"})
    if len(upload) > MAX_UPLOAD:
        raise ValidationError({"file": "Tệp quá lớn / the file is too large"})
    import signing
    if signing.has_signatures(bytes(upload)):
        raise ValidationError({"file": "Tệp đã có chữ ký số; tải bản chưa ký để cơ quan ký và gắn mã QR / "
                                       "upload the unsigned result: the agency signs it"})
    return bytes(upload)


def issue_result(root, dossier, actor, settings, upload=None, decision_text="", now=None):
    """Issue the approved dossier's result (uploaded PDF bytes, or made from the
    template), sign it and file it in the owner's warehouse. Returns the Document."""
    if "agency" not in _role_in(actor, dossier):
        raise Refused("Chỉ cán bộ xử lý của cơ quan có thẩm quyền trả kết quả / agency only")
    if dossier.status != RESOLVED or dossier.outcome != "approved":
        raise Conflict("Chỉ trả kết quả cho hồ sơ đã được chấp thuận / the dossier is not approved")
    if result_of(root, dossier) is not None:
        raise Conflict("Hồ sơ đã có kết quả / the result was issued already")
    catalogues = root.catalogues
    procedure = catalogues.procedures.get(dossier.procedure_code)
    doctype = catalogues.doctypes.get(getattr(procedure, "result_type", None) or "")
    if procedure is None or doctype is None:
        raise Conflict("Thủ tục chưa có loại giấy tờ kết quả trong danh mục / no result type in the catalogue")
    decision_text = (decision_text or "").strip()
    if len(decision_text) > 5000:
        raise ValidationError({"decision": "Nội dung quá dài / too long"})
    upload = _check_upload(upload)
    warehouse = root.subjects[dossier.applicant_id]
    issued = now or utcnow()
    issue_date = in_vn(issued).date()
    valid_until = _add_months(issue_date, doctype.validity_months) if doctype.validity_months else None
    desk = catalogues.desks.get(dossier.agency)
    agency = unit_title(desk.name) if desk is not None else agency_name(settings)
    parent = catalogues.desks.get(desk.parent_unit) if desk is not None and desk.parent_unit else None
    code = verification.new_code()
    fields = {"ma_ho_so": dossier.code, "ma_tthc": dossier.procedure_code,
              "so_dinh_danh": warehouse.subject_id, "giay_to": doctype.name, "he_thong": SYSTEM_NAME,
              "thoi_gian": verification.iso_vn(issued),
              "hieu_luc": valid_until.isoformat() if valid_until else "không thời hạn",
              "pham_vi": RESULT_SCOPE}
    base = public_url(settings)
    qr = verification.qr_text(base, code, fields)
    if upload is not None:
        from .printing import banded_pdf
        pdf = banded_pdf(upload, qr, [doctype.name.upper(), f"Mã hồ sơ: {dossier.code}",
                                      f"Cấp bởi: {agency}", f"Kiểm tra: {base}/verify/{code}"])
    else:
        from .printing import result_pdf
        birth = warehouse.birth_date
        text = decision_text or TEMPLATES.get(doctype.code, DEFAULT_TEMPLATE).format(
            owner=warehouse.name, agency=agency, procedure=procedure.name,
            birth=f"{birth:%d/%m/%Y}" if birth else "(không ghi)")
        pdf = result_pdf({
            "agency_name": agency, "parent_agency": unit_title(parent.name) if parent is not None else "",
            "dossier_code": dossier.code, "procedure_code": procedure.code,
            "procedure_name": procedure.name, "paper_name": doctype.name,
            "owner_name": warehouse.name, "owner_id": warehouse.subject_id,
            "owner_birth_date": birth, "owner_sex_label": SEXES.get(warehouse.sex or "", ""),
            "issued": issued, "decision": text, "qr_text": qr, "valid_until": valid_until,
            "validity_scope": RESULT_SCOPE, "verify_url": f"{base}/verify", "system": SYSTEM_NAME})
    signed = _sign(pdf, settings, "result")
    blob = blob_of(signed)
    document = Document(
        type_code=doctype.code, owner_id=warehouse.subject_id, name=doctype.name,
        original=blob, filename=f"{dossier.code}-ket-qua.pdf", content_type="application/pdf",
        size=len(signed), sha256=hashlib.sha256(signed).hexdigest(), pages=_pages(signed),
        created_by=actor.username, number=dossier.code, issue_date=issue_date, issuer=agency,
        summary=f"Kết quả giải quyết thủ tục {procedure.name}", valid_from=issue_date,
        valid_until=valid_until, validity_scope=RESULT_SCOPE, state="in_force",
        provenance="agency_result", dossier_code=dossier.code, procedure_code=procedure.code,
        extraction="manual")
    document.signature_report = check_signatures(signed, trust_roots(settings))
    document.signed_by = AGENCY_SIGNER
    document.approved_in = (dossier.code,)
    document.result_code = code
    from .operations import new_document_id
    doc_id = new_document_id()
    warehouse.documents.add(doc_id, document)
    from .indexing import touched
    touched(root, document)
    verification.register(root, code, "result", fields, owner_id=warehouse.subject_id,
                          dossier_code=dossier.code, document=(warehouse.subject_id, doc_id),
                          issued=issued, issued_by=actor.username)
    dossier.result_document = (warehouse.subject_id, doc_id)
    dossier.result_issued = issued
    audit.record(warehouse, actor, "issue_result", subject=warehouse.subject_id, document=doc_id,
                 purpose=dossier.code, detail={"sha256": document.sha256, "uploaded": upload is not None,
                                               "type_code": doctype.code})
    note(dossier, actor, "result_issued", {"document": doc_id, "owner": warehouse.subject_id,
                                           "type_code": doctype.code, "electronic": True,
                                           "uploaded": upload is not None})
    return document


def _pages(pdf):
    import io

    import pikepdf
    with pikepdf.open(io.BytesIO(pdf)) as parsed:
        return len(parsed.pages)


def paper_bytes(document):
    """The bytes a copy is made from: the desk's signed copy, else the original."""
    blob = document.derivatives.get(SIGNED) or document.original
    with blob.open("r") as f:
        return f.read()


def may_issue_copy(root, document, actor):
    """The owner (for their own paper), or staff of a unit handling an open
    dossier of the owner (the copy is for that dossier)."""
    from .dossiers import open_dossiers_for
    if actor is None:
        return False
    if actor.subject_id and actor.subject_id == document.owner_id:
        return True
    return bool(open_dossiers_for(root, document.owner_id, actor))


def issue_copy(root, document, actor, settings, now=None):
    """An electronic copy (sao y) of document, signed by the agency; returns
    its verification record (the signed bytes in record.blob)."""
    if document.deleted:
        raise Conflict("Giấy tờ đã bị xoá / the paper was deleted")
    if not may_issue_copy(root, document, actor):
        raise Refused("Chỉ chủ giấy tờ hoặc đơn vị đang xử lý hồ sơ của họ được cấp bản sao / not allowed")
    report = document.signature_report
    if document.content_type != "application/pdf" or not report or not report.get("ok"):
        raise Conflict("Chỉ sao y giấy tờ điện tử đã ký số hợp lệ / only a validly signed paper is copied")
    status = verification.paper_status(root, document, in_vn(now or utcnow()).date())
    if status != "in_force":
        raise Conflict("Giấy tờ không còn hiệu lực, không sao y được / the paper is not in force")
    issued = now or utcnow()
    agency = agency_name(settings)
    code = verification.new_code()
    fields = {"ma_ho_so": document.dossier_code, "ma_tthc": document.procedure_code,
              "so_dinh_danh": document.owner_id, "giay_to": f"Bản sao y: {document.name}",
              "he_thong": SYSTEM_NAME, "thoi_gian": verification.iso_vn(issued),
              "hieu_luc": document.valid_until.isoformat() if document.valid_until else "",
              "ban_sao_cua": document.name + (f" số {document.number}" if document.number else "")}
    base = public_url(settings)
    from .printing import banded_pdf
    pdf = banded_pdf(paper_bytes(document), verification.qr_text(base, code, fields),
                     [COPY_TITLE, f"{document.name}" + (f" số {document.number}" if document.number else ""),
                      f"Cơ quan sao y: {agency}", f"Kiểm tra: {base}/verify/{code}"])
    signed = _sign(pdf, settings, "copy", copy_kind=COPY_KIND)
    blob = blob_of(signed)
    record = verification.register(root, code, "copy", fields, owner_id=document.owner_id,
                                   dossier_code=document.dossier_code,
                                   source=(document.owner_id, document.__name__), issued=issued,
                                   issued_by=actor.username, blob=blob)
    record.sha256 = hashlib.sha256(signed).hexdigest()
    record.size = len(signed)
    audit.record(document, actor, "issue_copy", subject=document.owner_id, document=document.__name__,
                 detail={"sha256": record.sha256})
    return record


def copy_bytes(record):
    with record.blob.open("r") as f:
        return f.read()


def revoke_copy(root, record, actor, reason=""):
    """Take a copy out of force (the paper it copies stays as it is)."""
    if record.kind != "copy":
        raise ValidationError({"code": "Không phải bản sao / not a copy"})
    if record.revoked:
        raise Conflict("Bản sao đã bị thu hồi / already revoked")
    record.revoked = utcnow()
    audit.record(root, actor, "revoke_copy", subject=record.owner_id, document=record.source[1],
                 detail={"reason": reason})


def today_vn():
    return in_vn(datetime.datetime.now(datetime.timezone.utc)).date()
