"""Reception with reuse (DESIGN flow 1): identify the person, list for each
component the papers already in their warehouse that can serve, let the
person preview and confirm, then attach the confirmed papers by reference.

A paper is reusable when it is of a type the component accepts, not deleted,
in force (validity months applied to its issue date), signed with a valid
signature, from an approved dossier (or an agency's signed result), and
covered by an active consent to reuse. Nothing is attached before the
person confirms; a refusal is recorded; each use is audited under the
paper's owner with the dossier code as purpose."""
import datetime
import hashlib
import secrets
import types
import unicodedata
import uuid

from persistent import Persistent

from . import audit
from .calendar import format_vn_date, now_vn
from .consents import consent_for
from .dossiers import add_attachment, note
from .errors import Conflict, Refused, ValidationError
from .identifiers import InvalidIdentifier, validate_personal_id, validate_subject_id
from .resources import utcnow

CONFIRM_MINUTES = 15
PENDING, CONFIRMED, REFUSED = "pending", "confirmed", "refused"
REQUEST_STATES = {PENDING: "Chờ công dân xác nhận", CONFIRMED: "Công dân đã đồng ý",
                  REFUSED: "Công dân đã từ chối", "expired": "Đã hết hạn"}


# --- identifying the person -------------------------------------------------

def parse_id_card_qr(text):
    """The chip ID card's QR text 'id|old id|name|ddmmyyyy|sex|address|ddmmyyyy'
    as a dict, or ValidationError."""
    text = unicodedata.normalize("NFC", (text or "").strip())
    parts = text.split("|")
    if len(parts) < 7:
        raise ValidationError({"qr": "Mã QR của thẻ căn cước cần 7 trường ngăn bởi '|' / "
                                     "the ID card QR has 7 fields"})
    def day(value, field):
        try:
            return datetime.datetime.strptime(value.strip(), "%d%m%Y").date()
        except ValueError:
            raise ValidationError({"qr": f"{field} '{value}' không đúng dạng ddmmyyyy"}) from None
    sex = {"nam": "male", "nữ": "female", "nu": "female"}.get(parts[4].strip().lower())
    if sex is None:
        raise ValidationError({"qr": f"Giới tính '{parts[4]}' phải là Nam hoặc Nữ"})
    return {"subject_id": parts[0].strip(), "old_id": parts[1].strip(), "name": parts[2].strip(),
            "birth_date": day(parts[3], "Ngày sinh"), "sex": sex, "address": parts[5].strip(),
            "issued": day(parts[6], "Ngày cấp")}


def identify(root, text):
    """From a typed id or the ID card's QR text: {subject_id, card, warehouse,
    mismatches}. Mismatches between the card, its id and the warehouse are
    listed for the officer to see, never dropped."""
    text = (text or "").strip()
    card = parse_id_card_qr(text) if "|" in text else None
    raw_id = card["subject_id"] if card else text
    try:
        kind, subject_id = validate_subject_id(raw_id)
    except InvalidIdentifier as exc:
        raise ValidationError({"id": str(exc)}) from None
    mismatches = []
    if card:
        try:
            validate_personal_id(subject_id, birth_date=card["birth_date"], sex=card["sex"])
        except InvalidIdentifier as exc:
            mismatches.append(f"Thẻ và số định danh: {exc}")
    warehouse = root.subjects.get(subject_id)
    if card and warehouse is not None:
        if _fold(card["name"]) != _fold(warehouse.name):
            mismatches.append(f"Họ tên trên thẻ «{card['name']}» khác họ tên trong kho «{warehouse.name}»")
        if warehouse.birth_date and warehouse.birth_date != card["birth_date"]:
            mismatches.append(f"Ngày sinh trên thẻ {format_vn_date(card['birth_date'])} khác trong kho "
                              f"{format_vn_date(warehouse.birth_date)}")
        if warehouse.sex and warehouse.sex != card["sex"]:
            mismatches.append("Giới tính trên thẻ khác trong kho")
    return {"subject_id": subject_id, "kind": kind, "card": card, "warehouse": warehouse,
            "mismatches": mismatches}


def _fold(name):
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


# --- which papers can serve ---------------------------------------------------

def expiry_of(document, doctype):
    """The last day the paper is in force by its own date or its type's validity months."""
    ends = [document.valid_until] if document.valid_until else []
    if doctype is not None and doctype.validity_months and document.issue_date:
        ends.append(_add_months(document.issue_date, doctype.validity_months))
    return min(ends) if ends else None


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue


def why_not_reusable(root, warehouse, document, today, consent_cache=None):
    """The reasons (Vietnamese) the paper cannot be reused now; [] when it can."""
    reasons = []
    doctype = root.catalogues.doctypes.get(document.type_code)
    if document.state == "revoked":
        reasons.append("Giấy tờ đã bị thu hồi")
    else:
        ends = expiry_of(document, doctype)
        if document.state == "expired" or (ends and ends < today):
            reasons.append(f"Hết hiệu lực{' từ ' + format_vn_date(ends) if ends else ''}")
    report = document.signature_report
    if not report or not report.get("ok"):
        reasons.append("Chưa được ký số hoặc chữ ký không hợp lệ")
    if not document.approved_in and document.provenance != "agency_result":
        reasons.append("Chưa thuộc hồ sơ nào đã được giải quyết")
    if consent_for(warehouse, document, "reuse") is None:
        reasons.append("Chưa có sự đồng ý tái sử dụng của chủ giấy tờ (hoặc đã rút)")
    return reasons


def candidates(root, dossier, component, today=None):
    """The papers of the component's person of the right type, best first:
    [{document, reasons}] (reasons empty: reusable)."""
    today = today or now_vn().date()
    owner = dossier.person_for(component)
    warehouse = root.subjects.get(owner) if owner else None
    if warehouse is None:
        return []
    attached = dossier.attached_documents()
    found = []
    for document in warehouse.documents.values():
        if document.deleted or document.type_code not in component.doctypes:
            continue
        reasons = why_not_reusable(root, warehouse, document, today)
        if (owner, document.__name__) in attached:
            reasons = ["Đã đính kèm vào hồ sơ này"] + reasons
        found.append({"document": document, "reasons": reasons})
    found.sort(key=lambda c: (bool(c["reasons"]), -(c["document"].issue_date or datetime.date.min).toordinal(),
                              -c["document"].created.timestamp()))
    return found


def components_view(root, dossier, today=None, reader=None):
    """Each component of the dossier's procedure with its person, attachments
    and candidates. reader: the staff member who will see the candidates (the
    metadata of the persons' papers): logged under each person, with the
    dossier as purpose."""
    from .reading import record_metadata_read
    if reader is not None:
        for person in dossier.persons:
            record_metadata_read(dossier, reader, person, purpose=dossier.code,
                                 detail={"seen": "reuse_candidates"})
    procedure = root.catalogues.procedures[dossier.procedure_code]
    return [{"component": c, "owner_id": dossier.person_for(c), "attached": dossier.attachments(c.key),
             "candidates": candidates(root, dossier, c, today)} for c in procedure.components]


# --- preview and confirmation -------------------------------------------------

class ReuseRequest(Persistent):
    """Papers offered to one person for one dossier, waiting for them to
    confirm: at the desk on a page facing them (a secret link that expires),
    or online in their own account."""
    decided = None
    decided_via = None

    def __init__(self, request_id, dossier_code, owner_id, items, created_by, expires, token_hash):
        self.id = request_id
        self.dossier_code = dossier_code
        self.owner_id = owner_id
        self.items = tuple(items)              # (component key, document id)
        self.created = utcnow()
        self.created_by = created_by
        self.expires = expires
        self.token_hash = token_hash
        self.state = PENDING

    def effective_state(self, now=None):
        if self.state == PENDING and (now or utcnow()) > self.expires:
            return "expired"
        return self.state

    def as_dict(self):
        return {"id": self.id, "dossier": self.dossier_code, "owner_id": self.owner_id,
                "items": [{"component": k, "document": d} for k, d in self.items],
                "state": self.effective_state(), "created": self.created.isoformat(),
                "expires": self.expires.isoformat(),
                "decided": self.decided.isoformat() if self.decided else None,
                "decided_via": self.decided_via}


def token_digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def offer_reuse(root, dossier, actor, selections, minutes=CONFIRM_MINUTES):
    """Offer the selected papers [{component, document}] of one person for this
    dossier; returns (request, token). The token opens the confirmation page
    facing the person; it is shown once and expires."""
    from .dossiers import _component, _role_in
    if "desk" not in _role_in(actor, dossier):
        raise Refused("Chỉ bộ phận tiếp nhận hồ sơ đề nghị tái sử dụng được / the receiving desk only")
    if not dossier.is_open:
        raise Conflict("Hồ sơ đã đóng / the dossier is closed")
    if not isinstance(selections, list) or not selections:
        raise ValidationError({"items": "Hãy chọn ít nhất một giấy tờ / choose at least one paper"})
    today = now_vn().date()
    owners, items, errors = set(), [], {}
    for i, item in enumerate(selections):
        if not isinstance(item, dict):
            errors[f"items.{i}"] = "Cần {component, document}"
            continue
        try:
            component = _component(root, dossier, str(item.get("component", "")))
        except ValidationError as exc:
            errors[f"items.{i}"] = exc.errors["component"]
            continue
        owner = dossier.person_for(component)
        warehouse = root.subjects.get(owner)
        document = warehouse.documents.get(str(item.get("document", ""))) if warehouse else None
        if document is None or document.deleted or document.type_code not in component.doctypes:
            errors[f"items.{i}"] = "Không có giấy tờ phù hợp với thành phần này / no such paper for this component"
            continue
        reasons = why_not_reusable(root, warehouse, document, today)
        if (owner, document.__name__) in dossier.attached_documents():
            reasons.insert(0, "Đã đính kèm vào hồ sơ này")
        if reasons:
            errors[f"items.{i}"] = f"{document.name}: " + "; ".join(reasons)
            continue
        if (component.key, document.__name__) in items:
            errors[f"items.{i}"] = "Chọn trùng / chosen twice"
            continue
        owners.add(owner)
        items.append((component.key, document.__name__))
    if not errors and len(owners) > 1:
        errors["items"] = "Mỗi người xem trước và xác nhận giấy tờ của mình: gửi riêng từng người"
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(24)
    owner = owners.pop()
    request = ReuseRequest(uuid.uuid4().hex[:12], dossier.code, owner, items, actor.username,
                           utcnow() + datetime.timedelta(minutes=minutes), token_digest(token))
    dossier.reuse_requests.add(request.id, request)
    root.dossiers.confirmations[request.token_hash] = (dossier.code, request.id)
    note(dossier, actor, "reuse_offered", {"request": request.id, "owner": owner,
                                           "documents": [d for _, d in items]})
    return request, token


def request_for_token(root, token):
    """(dossier, request) behind a confirmation token, or (None, None)."""
    found = root.dossiers.confirmations.get(token_digest(token or ""))
    if found is None:
        return None, None
    dossier = root.dossiers.get(found[0])
    request = dossier.reuse_requests.get(found[1]) if dossier is not None else None
    return (dossier, request) if request is not None else (None, None)


class PersonAtDesk:
    """The person confirming on the page that faces them at the desk: no
    account session, identified by the request's secret link."""

    def __init__(self, subject_id):
        self.username = f"subject:{subject_id}"
        self.roles = frozenset({"citizen"})
        self.subject_id = subject_id
        self.desk = None


def decide_reuse(root, dossier, request, actor, accept, via):
    """The person's answer. Accept: every paper is checked again (a consent
    may have been withdrawn meanwhile) and attached by reference, each use
    audited under its owner with the dossier code as purpose, as a use by
    the officer who offered it (the owner's access log names the staff who
    used the paper; the owner's own answer would be left out of it as the
    owner acting on their own papers). Refuse: recorded."""
    if via not in ("desk", "online"):
        raise ValidationError({"via": "desk hoặc online"})
    if actor is None or actor.subject_id != request.owner_id:
        raise Refused("Chỉ chủ giấy tờ xác nhận được / only the owner can confirm")
    state = request.effective_state()
    if state != PENDING:
        raise Conflict(f"Yêu cầu này {REQUEST_STATES[state].lower()} / no longer pending")
    if not dossier.is_open:
        raise Conflict("Hồ sơ đã đóng / the dossier is closed")
    warehouse = root.subjects[request.owner_id]
    if not accept:
        request.decided, request.decided_via = utcnow(), via
        request.state = REFUSED
        note(dossier, actor, "reuse_refused", {"request": request.id, "via": via})
        return request
    today = now_vn().date()
    documents = []
    attached = dossier.attached_documents()
    for key, doc_id in request.items:
        document = warehouse.documents.get(doc_id)
        reasons = why_not_reusable(root, warehouse, document, today) if document is not None and \
            not document.deleted else ["Giấy tờ không còn trong kho"]
        if (request.owner_id, doc_id) in attached:
            reasons.insert(0, "Đã đính kèm vào hồ sơ này")
        if reasons:
            raise Conflict(f"{document.name if document else doc_id}: " + "; ".join(reasons)
                           + " — hãy đề nghị lại / offer again")
        documents.append((key, document))
    request.state = CONFIRMED
    request.decided, request.decided_via = utcnow(), via
    user = offerer(root, request, dossier)
    for key, document in documents:
        add_attachment(dossier, key, document, actor, reused=True)
        audit.record(document, user, "reuse", subject=document.owner_id, document=document.__name__,
                     purpose=dossier.code, detail={"component": key, "request": request.id, "via": via,
                                                   "confirmed_by": actor.username})
    note(dossier, actor, "reuse", {"request": request.id, "via": via,
                                   "documents": [d.__name__ for _, d in documents]})
    return request


def offerer(root, request, dossier):
    """The staff account that offered the papers (a stand-in at the dossier's
    desk if the account is gone), the user of a confirmed reuse."""
    user = root.accounts.users.get(request.created_by)
    if user is not None:
        return user
    return types.SimpleNamespace(username=request.created_by, roles=frozenset(), desk=dossier.desk)


def pending_requests_for(root, dossier, subject_id):
    return [r for r in dossier.reuse_requests.values()
            if r.owner_id == subject_id and r.effective_state() == PENDING]
