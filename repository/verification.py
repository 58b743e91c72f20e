"""Verification codes of the papers Kho prints (receipts, results, copies).

Every printed paper carries a QR code (Circular 01/2023, art. 26) whose text
is the address of its public verification page, /verify/<code>, followed by
the printed fields (after '#', so they never reach the server's logs). The
code is unguessable (secrets.token_urlsafe, 144 bits): a page that answers
for a code tells nothing about any other, and an unknown, altered or
malformed code gets the same "not found" after the same work.

What a lookup shows is only what the paper itself printed (the fields kept
when it was issued) and whether it is still in force: a receipt is revoked
when its dossier is withdrawn; a result follows its paper in the warehouse
(revoked, expired, or deleted = revoked); a copy follows the paper it copies
and may be revoked on its own.

Lookups write nothing but their own rate-limited log: a counter per client
address and window (repository.throttle), over which the answer is "try
later" whatever the code.

Public interface:
    new_code() -> str
    register(root, code, kind, fields, *, owner_id, dossier_code, document=None,
             source=None, issued, issued_by, blob=None) -> Verification
    receipt_code(root, dossier) -> str          (registers it on first use)
    lookup(root, code, today=None) -> dict | None
    note_lookup(root, address, now=None) -> int  (seconds to wait; 0: go on)
    qr_text(base_url, code, fields) -> str
    copies_of(root, owner_id, doc_id) -> [Verification]
    forget_document(root, owner_id, doc_id) -> int   (a destroyed paper's copies)
"""
import datetime
import hmac
import re
import secrets
import unicodedata
import urllib.parse

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import throttle

CODE_BYTES = 18                     # 144 bits, more than the 128 asked for
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{24}$")

KINDS = {"receipt": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
         "result": "Kết quả giải quyết thủ tục hành chính",
         "copy": "Bản sao điện tử (sao y)",
         "consent": "Phiếu ghi nhận sự đồng ý xử lý dữ liệu cá nhân"}
STATUSES = {"in_force": "Còn hiệu lực", "revoked": "Đã thu hồi", "expired": "Hết hiệu lực"}
# the printed fields, in the order of RULES-VN "Printed papers and QR codes"
FIELDS = {
    "ma_ho_so": "Mã hồ sơ",
    "ma_tthc": "Mã thủ tục hành chính",
    "ma_phieu": "Mã phiếu",
    "so_dinh_danh": "Số định danh của chủ giấy tờ",
    "giay_to": "Tên giấy tờ",
    "he_thong": "Hệ thống",
    "thoi_gian": "Thời điểm cấp",
    "hen_tra": "Hẹn trả kết quả",
    "hieu_luc": "Thời hạn hiệu lực",
    "pham_vi": "Phạm vi sử dụng",
    "ban_sao_cua": "Sao y từ giấy tờ",
    "pham_vi_du_lieu": "Phạm vi dữ liệu",
}

LOOKUP_LIMIT = 60                   # lookups per client address within LOOKUP_SPAN
LOOKUP_SPAN = 15 * 60.0


class Verification(Persistent):
    """One printed paper's record: what it printed, whose, and what it points at."""
    revoked = None                  # when a copy was revoked on its own
    blob = None                     # a copy's signed bytes (a receipt or result is elsewhere)
    receipt = None                  # a consent receipt's name: grant, narrow-1, …, withdrawal

    def __init__(self, code, kind, fields, owner_id, dossier_code, document, source, issued, issued_by):
        self.code, self.kind = code, kind
        self.fields = dict(fields)
        self.owner_id, self.dossier_code = owner_id, dossier_code
        self.document = document            # (owner id, doc id) of a result
        self.source = source                # (owner id, doc id) of the paper a copy copies
        self.issued, self.issued_by = issued, issued_by


class Verifications(Persistent):
    def __init__(self):
        self.codes = OOBTree()              # code → Verification
        self.by_dossier = OOBTree()         # dossier code → receipt code
        self.by_document = OOBTree()        # (owner id, doc id) → tuple of copy codes


def registry(root, create=False):
    found = getattr(root, "verifications", None)
    if found is None and create:
        found = root.verifications = Verifications()
    return found


def new_code():
    return secrets.token_urlsafe(CODE_BYTES)


def register(root, code, kind, fields, *, owner_id, dossier_code, document=None, source=None,
             issued, issued_by, blob=None):
    if kind not in KINDS or not CODE_RE.match(code):
        raise ValueError("unknown kind or malformed code")
    reg = registry(root, create=True)
    if code in reg.codes:
        raise ValueError("code already used")
    record = Verification(code, kind, {k: v for k, v in fields.items() if v not in (None, "")},
                          owner_id, dossier_code, document, source, issued, issued_by)
    record.blob = blob
    reg.codes[code] = record
    if kind == "receipt":
        reg.by_dossier[dossier_code] = code
    if kind == "copy":
        reg.by_document[source] = tuple(reg.by_document.get(source, ())) + (code,)
    return record


def iso_vn(moment):
    from .calendar import in_vn
    return in_vn(moment).replace(microsecond=0).isoformat()


def receipt_fields(root, dossier):
    """The fields the reception receipt prints in its QR code."""
    from .consents import SYSTEM_NAME
    from .receipts import RECEIPT_KIND, appointment_of
    return {"ma_ho_so": dossier.code, "ma_tthc": dossier.procedure_code,
            "so_dinh_danh": dossier.applicant_id, "giay_to": RECEIPT_KIND, "he_thong": SYSTEM_NAME,
            "thoi_gian": iso_vn(dossier.received), "hen_tra": iso_vn(appointment_of(dossier))}


def receipt_code(root, dossier):
    """The dossier's receipt code: made when the dossier is received
    (on_dossier), or at its first print for a dossier received before."""
    reg = registry(root)
    code = reg.by_dossier.get(dossier.code) if reg is not None else None
    if code is None:
        code = new_code()
        register(root, code, "receipt", receipt_fields(root, dossier), owner_id=dossier.applicant_id,
                 dossier_code=dossier.code, issued=dossier.received, issued_by=dossier.received_by)
    return code


def on_dossier(dossier, actor, action, detail):
    """dossier_events subscriber: a received dossier gets its receipt's code."""
    if action == "received":
        receipt_code(_root_of(dossier), dossier)


def _root_of(obj):
    while getattr(obj, "__parent__", None) is not None:
        obj = obj.__parent__
    return obj


def consent_fields(consent_id, owner_id, paper, scope, issued):
    """The fields a consent receipt prints in its QR code (it has no dossier
    or procedure: the receipt's own number stands for them)."""
    from .consents import SYSTEM_NAME
    return {"ma_phieu": consent_id, "so_dinh_danh": owner_id, "giay_to": paper, "he_thong": SYSTEM_NAME,
            "thoi_gian": iso_vn(issued), "pham_vi_du_lieu": scope}


def register_consent_receipt(root, consent, name, fields, issued, issued_by):
    """A code for one receipt of a consent (grant, narrow-n, withdrawal); the
    consent keeps it under the receipt's name. Returns the code."""
    from persistent.mapping import PersistentMapping
    code = new_code()
    record = register(root, code, "consent", fields, owner_id=consent.owner_id, dossier_code=None,
                      source=(consent.owner_id, consent.id), issued=issued, issued_by=issued_by)
    record.receipt = name
    if getattr(consent, "receipt_codes", None) is None:
        consent.receipt_codes = PersistentMapping()
    consent.receipt_codes[name] = code
    return code


def consent_status(root, record):
    """A withdrawal receipt stays in force (it proves the withdrawal); a grant
    or narrowing receipt is in force while the consent is active and it is
    the consent's latest one (a narrowing replaces it: revoked)."""
    warehouse = root.subjects.get(record.source[0]) if record.source else None
    consent = warehouse.consents.get(record.source[1]) if warehouse is not None else None
    if consent is None:
        return "revoked"
    if record.receipt == "withdrawal":
        return "in_force"
    if not consent.active:
        return "revoked"
    codes = [c for n, c in (getattr(consent, "receipt_codes", None) or {}).items() if n != "withdrawal"]
    return "in_force" if codes and codes[-1] == record.code else "revoked"


def copies_of(root, owner_id, doc_id):
    reg = registry(root)
    if reg is None:
        return []
    return [reg.codes[c] for c in reg.by_document.get((owner_id, doc_id), ()) if c in reg.codes]


def _document(root, ref):
    if not ref:
        return None
    warehouse = root.subjects.get(ref[0])
    return warehouse.documents.get(ref[1]) if warehouse is not None else None


def paper_status(root, document, today):
    """in_force / revoked / expired of a paper in a warehouse (deleted: revoked)."""
    from .reception import expiry_of
    if document is None or document.deleted or document.state == "revoked":
        return "revoked"
    ends = expiry_of(document, root.catalogues.doctypes.get(document.type_code))
    if document.state == "expired" or (ends and ends < today):
        return "expired"
    return "in_force"


def status_of(root, record, today=None):
    from .calendar import now_vn
    today = today or now_vn().date()
    if record.kind == "receipt":
        dossier = root.dossiers.get(record.dossier_code)
        return "revoked" if dossier is None or dossier.status == "withdrawn" else "in_force"
    if record.kind == "result":
        return paper_status(root, _document(root, record.document), today)
    if record.kind == "consent":
        return consent_status(root, record)
    if record.revoked:
        return "revoked"
    return paper_status(root, _document(root, record.source), today)


def lookup(root, code, today=None):
    """{kind, kind_label, status, fields: [(key, label, value)], issued} or None.
    An unknown code and a malformed one take the same path and both give None."""
    well_formed = isinstance(code, str) and bool(CODE_RE.match(code))
    # a malformed code is looked up as a random well-formed one (a bucket as
    # cold as an unknown code's), and whatever that finds is dropped
    code = code if well_formed else new_code()
    reg = registry(root)
    codes = reg.codes if reg is not None else OOBTree()
    record = None
    for key in codes.keys(min=code, max=code):      # one bounded walk, whatever the code
        record = codes[key] if hmac.compare_digest(key, code) else None
    if record is None or not well_formed:
        return None
    return {"kind": record.kind, "kind_label": KINDS[record.kind], "status": status_of(root, record, today),
            "fields": [(k, FIELDS[k], record.fields[k]) for k in FIELDS if k in record.fields],
            "issued": record.issued}


def note_lookup(root, address, now=None):
    """Count a lookup from address; the seconds to wait when over the limit (0: go on).
    The count itself is the log: per address and window, dropped with the window."""
    key = ("verify", (address or "-")[:100])
    wait = throttle.retry_after(root, [(key, LOOKUP_LIMIT)], now, LOOKUP_SPAN)
    if wait:
        return wait
    throttle.note_failure(root, [key], now, LOOKUP_SPAN)
    return 0


def qr_text(base_url, code, fields):
    """The QR code's text: the verification address, then the printed fields
    after '#' (percent-encoded UTF-8, empty ones left out)."""
    pairs = [f"{k}={_escape(v)}" for k, v in fields.items() if v not in (None, "")]
    return f"{base_url.rstrip('/')}/verify/{code}#" + "&".join(pairs)


def _escape(value):
    """Only what would break the fragment is escaped; Vietnamese letters stay
    UTF-8 (an IRI), which keeps the QR code small enough to read at 150 dpi."""
    text = unicodedata.normalize("NFC", str(value))
    for char, escaped in (("%", "%25"), ("&", "%26"), ("=", "%3D"), ("#", "%23"), (" ", "%20"),
                          ("+", "%2B")):
        text = text.replace(char, escaped)
    return text


def parse_qr_text(text):
    """(address, code, fields) of a QR text made by qr_text."""
    address, _, fragment = text.partition("#")
    code = address.rstrip("/").rsplit("/", 1)[-1]
    fields = {}
    for pair in fragment.split("&") if fragment else ():
        key, _, value = pair.partition("=")
        fields[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
    return address, code, fields


def utc(moment):
    return moment.astimezone(datetime.timezone.utc)


def forget_document(root, owner_id, doc_id):
    """For the destruction of a paper (retention): its copies' bytes go with
    it; their codes stay, answering "revoked" (the paper no longer exists).
    Returns how many copies were erased."""
    erased = 0
    for record in copies_of(root, owner_id, doc_id):
        if record.blob is not None:
            record.blob = None
            erased += 1
        if not record.revoked:
            record.revoked = datetime.datetime.now(datetime.timezone.utc)
    return erased
