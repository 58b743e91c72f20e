"""Consent to keep, reuse and share one's papers (Decree 13/2023).

A consent covers one paper or one paper type of the owner, lists the
purposes the person chose, the recipients, the channel (online by the
person, or at a desk with the officer as witness), the notice version they
were shown and the time. Silence is never consent: an online grant is the
owner's own act, a desk grant needs the officer to record that the person
agreed. Every grant, narrowing and withdrawal leaves a signed receipt and an
audit entry; a withdrawal stops future offers at once, past uses stay logged."""
import uuid

from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from . import audit
from . import roles as R
from .errors import Conflict, Refused, ValidationError
from .reading import root_of
from .resources import utcnow

PURPOSES = {
    "keep": "Lưu giữ giấy tờ trong kho dữ liệu điện tử",
    "reuse": "Tái sử dụng cho các thủ tục hành chính sau",
    "share": "Chia sẻ với cơ quan được nêu tên",
}
CHANNELS = {
    "desk": "Tại bộ phận một cửa, có cán bộ chứng kiến",
    "online": "Trực tuyến, do chính chủ thể dữ liệu thực hiện",
}
SCOPES = {"document": "Một giấy tờ", "doctype": "Mọi giấy tờ thuộc một loại"}
NOTICE_VERSION = "TB-2026-01"
NOTICE_TEXT = (
    "Dữ liệu được xử lý: bản điện tử của giấy tờ và các thông tin trích xuất từ giấy tờ "
    "(loại, số, ngày cấp, cơ quan cấp, thời hạn hiệu lực) cùng số định danh của bạn. "
    "Mục đích: chỉ những mục đích bạn chọn dưới đây. Bên xử lý: Bộ phận Một cửa tiếp nhận hồ sơ "
    "và cơ quan có thẩm quyền giải quyết thủ tục; với mục đích chia sẻ, cả cơ quan được nêu tên. "
    "Quyền của bạn: được biết, đồng ý, truy cập, chỉnh sửa, rút lại sự đồng ý, xoá, hạn chế xử lý, "
    "nhận dữ liệu và phản đối; yêu cầu được trả lời trong 72 giờ. Rút lại sự đồng ý không làm mất "
    "tính hợp pháp của việc xử lý trước đó. Không trả lời không có nghĩa là đồng ý.")
CONSEQUENCES = (
    "Từ nay các giấy tờ thuộc phạm vi sự đồng ý này không còn được đề xuất tái sử dụng hay chia sẻ theo các mục đích đã rút. "
    "Những lần sử dụng trước đó vẫn hợp pháp và vẫn hiện trong nhật ký truy cập của bạn. "
    "Ở thủ tục sau, bạn có thể phải nộp lại giấy tờ hoặc bản sao. Bản điện tử vẫn được lưu "
    "theo thời hạn lưu trữ của pháp luật nếu có.")


class Consent(Persistent):
    withdrawn = None
    withdrawn_by = None

    def __init__(self, consent_id, owner_id, scope, target, purposes, recipients, channel,
                 witness, notice_version, granted_by):
        self.id = consent_id
        self.owner_id = owner_id
        self.scope, self.target = scope, target
        self.purposes = tuple(purposes)
        self.recipients = tuple(recipients)
        self.channel = channel
        self.witness = witness
        self.notice_version = notice_version
        self.granted = utcnow()
        self.granted_by = granted_by
        self.history = PersistentList()       # {time, action, actor, channel, purposes}
        self.receipts = PersistentMapping()   # 'grant', 'narrow-1', …, 'withdrawal' → Blob (signed PDF)

    @property
    def active(self):
        return self.withdrawn is None and bool(self.purposes)

    def covers(self, document, purpose):
        if not self.active or purpose not in self.purposes:
            return False
        if self.scope == "document":
            return self.target == document.__name__
        return self.target == document.type_code

    def as_dict(self):
        return {"id": self.id, "owner_id": self.owner_id, "scope": self.scope, "target": self.target,
                "purposes": list(self.purposes), "recipients": list(self.recipients),
                "channel": self.channel, "witness": self.witness,
                "notice_version": self.notice_version, "granted": self.granted.isoformat(),
                "granted_by": self.granted_by, "active": self.active,
                "withdrawn": self.withdrawn.isoformat() if self.withdrawn else None,
                "history": [dict(h, time=h["time"].isoformat()) for h in self.history],
                "receipts": sorted(self.receipts)}


def record_consents_read(warehouse, actor, consents):
    """Staff seeing a person's consents (or a receipt) read personal data: logged under the owner."""
    from .reading import record_metadata_read
    record_metadata_read(warehouse, actor, warehouse.subject_id,
                         detail={"consents": [c.id for c in consents]})


def consent_for(warehouse, document, purpose="reuse"):
    """The newest active consent of document's owner that covers it for purpose."""
    found = [c for c in warehouse.consents.values() if c.covers(document, purpose)]
    return max(found, key=lambda c: c.granted) if found else None


def _channel_of(warehouse, actor, raw_channel, agreed):
    """The owner acts online; reception staff record a grant at the desk as
    witnesses, and only when the person has agreed there in person."""
    if actor is not None and actor.subject_id == warehouse.subject_id:
        if raw_channel not in (None, "", "online"):
            raise ValidationError({"channel": "Công dân tự thực hiện trực tuyến / online only"})
        return "online", None
    if actor is not None and set(R.RECEPTION) & actor.roles:
        from .dossiers import open_dossiers_for
        if not open_dossiers_for(root_of(warehouse), warehouse.subject_id, actor):
            raise Refused("Cán bộ ghi nhận sự đồng ý khi người này đang có hồ sơ ở đơn vị mình / "
                          "only for a person with an open dossier at your unit")
        if raw_channel not in (None, "", "desk"):
            raise ValidationError({"channel": "Tại quầy, kênh là desk / at a desk the channel is desk"})
        if agreed is not True:
            raise ValidationError({"agreed": "Cần công dân trực tiếp đồng ý sau khi nghe thông báo; "
                                             "im lặng không phải là đồng ý / the person must agree"})
        return "desk", actor.username
    raise Refused("Chỉ chủ thể dữ liệu hoặc cán bộ một cửa ghi nhận sự đồng ý / owner or desk only")


def _clean_purposes(raw):
    raw = [] if raw is None else raw
    if not isinstance(raw, (list, tuple)):
        raise ValidationError({"purposes": "Danh sách mục đích / a list of purposes"})
    purposes = [p for p in raw if isinstance(p, str)]
    if not purposes:
        raise ValidationError({"purposes": "Hãy chọn ít nhất một mục đích / choose at least one purpose"})
    unknown = [p for p in purposes if p not in PURPOSES]
    if unknown:
        raise ValidationError({"purposes": "Mục đích không có trong danh sách: " + ", ".join(unknown)})
    return tuple(p for p in PURPOSES if p in purposes)


def grant_consent(root, warehouse, actor, raw, settings):
    """Record a consent from raw {scope, target, purposes, recipients, channel,
    notice_version, agreed}; returns it with its signed receipt."""
    errors = {}
    scope, target = str(raw.get("scope") or ""), str(raw.get("target") or "").strip()
    if scope not in SCOPES:
        errors["scope"] = "Phạm vi là document (một giấy tờ) hoặc doctype (một loại giấy tờ)"
    elif scope == "document":
        document = warehouse.documents.get(target)
        if document is None or document.deleted:
            errors["target"] = "Không có giấy tờ này trong kho / no such paper"
    elif target not in root.catalogues.doctypes:
        errors["target"] = "Không có loại giấy tờ này / unknown paper type"
    try:
        purposes = _clean_purposes(raw.get("purposes"))
    except ValidationError as exc:
        errors.update(exc.errors)
        purposes = ()
    recipients = raw.get("recipients") or []
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        errors["recipients"] = "Danh sách bên nhận là các chuỗi / a list of names"
        recipients = []
    recipients = tuple(r.strip() for r in recipients if r.strip())
    if "share" in purposes and not recipients:
        errors["recipients"] = "Chia sẻ cần nêu cơ quan nhận / sharing needs a recipient"
    if raw.get("notice_version") != NOTICE_VERSION:
        errors["notice_version"] = (f"Cần xác nhận đã đọc thông báo phiên bản {NOTICE_VERSION} / "
                                    "the current notice must be shown")
    if errors:
        raise ValidationError(errors)
    channel, witness = _channel_of(warehouse, actor, raw.get("channel"), raw.get("agreed"))
    consent = Consent(uuid.uuid4().hex[:12], warehouse.subject_id, scope, target, purposes, recipients,
                      channel, witness, NOTICE_VERSION, actor.username)
    warehouse.consents.add(consent.id, consent)
    _event(consent, actor, "grant", channel)
    _receipt(root, consent, "grant", settings)
    audit.record(warehouse, actor, "consent_grant", subject=warehouse.subject_id,
                 document=target if scope == "document" else None,
                 detail={"consent": consent.id, "scope": scope, "target": target,
                         "purposes": list(purposes), "recipients": list(recipients),
                         "channel": channel, "notice_version": NOTICE_VERSION})
    return consent


def narrow_consent(root, consent, actor, purposes, settings, agreed=None):
    """Keep only some of the purposes; narrowing to none is a withdrawal."""
    warehouse = consent.__parent__.__parent__
    if not consent.active:
        raise Conflict("Sự đồng ý đã được rút lại / already withdrawn")
    if not purposes:
        return withdraw_consent(root, consent, actor, settings, agreed=agreed)
    kept = _clean_purposes(purposes)
    if not set(kept) < set(consent.purposes):
        raise ValidationError({"purposes": "Chỉ thu hẹp được: chọn ít hơn các mục đích hiện có; "
                                           "muốn thêm mục đích hãy lập sự đồng ý mới"})
    channel, _ = _channel_of(warehouse, actor, None, agreed)
    dropped = [p for p in consent.purposes if p not in kept]
    consent.purposes = kept
    n = sum(1 for h in consent.history if h["action"] == "narrow") + 1
    _event(consent, actor, "narrow", channel)
    _receipt(root, consent, f"narrow-{n}", settings)
    audit.record(warehouse, actor, "consent_narrow", subject=consent.owner_id,
                 detail={"consent": consent.id, "dropped": dropped, "kept": list(kept), "channel": channel})
    return consent


def withdraw_consent(root, consent, actor, settings, agreed=None):
    """Withdraw: no more offers from now on; returns the consent (its
    CONSEQUENCES are what the person is told)."""
    warehouse = consent.__parent__.__parent__
    if not consent.active:
        raise Conflict("Sự đồng ý đã được rút lại / already withdrawn")
    channel, _ = _channel_of(warehouse, actor, None, agreed)
    consent.withdrawn = utcnow()
    consent.withdrawn_by = actor.username
    _event(consent, actor, "withdraw", channel)
    _receipt(root, consent, "withdrawal", settings)
    audit.record(warehouse, actor, "consent_withdraw", subject=consent.owner_id,
                 detail={"consent": consent.id, "channel": channel})
    return consent


def _event(consent, actor, action, channel):
    consent.history.append({"time": utcnow(), "action": action, "actor": actor.username,
                            "channel": channel, "purposes": list(consent.purposes)})


def scope_label(root, consent):
    warehouse = consent.__parent__.__parent__
    if consent.scope == "document":
        document = warehouse.documents.get(consent.target)
        name = document.name if document is not None else consent.target
        number = f" số {document.number}" if document is not None and document.number else ""
        return f"Giấy tờ: {name}{number}"
    doctype = root.catalogues.doctypes.get(consent.target)
    return f"Loại giấy tờ: {doctype.name if doctype is not None else consent.target}"


def _receipt(root, consent, name, settings):
    """The printable proof: a PDF signed with the agency key, kept with the consent."""
    from .blobs import blob_of
    from .printing import consent_receipt_pdf
    from .signatures import sign_as_agency
    from . import verification
    from .printing import CONSENT_TITLE, WITHDRAWAL_TITLE
    warehouse = consent.__parent__.__parent__
    witness = root.accounts.users.get(consent.witness) if consent.witness else None
    last = consent.history[-1]
    # the QR code: the verification address and the printed fields, as receipts, results and copies
    fields = verification.consent_fields(consent.id, consent.owner_id,
                                         WITHDRAWAL_TITLE if name == "withdrawal" else CONSENT_TITLE,
                                         scope_label(root, consent), last["time"])
    code = verification.register_consent_receipt(root, consent, name, fields, last["time"], last["actor"])
    pdf = consent_receipt_pdf({
        "qr_text": verification.qr_text(public_url(settings), code, fields),
        "kind": "withdrawal" if name == "withdrawal" else "grant",
        "consent_id": consent.id, "system": SYSTEM_NAME,
        "owner_id": consent.owner_id, "owner_name": warehouse.name,
        "scope_label": scope_label(root, consent),
        "purposes": [PURPOSES[p] for p in consent.purposes],
        "recipients": list(consent.recipients),
        "channel_label": CHANNELS[last["channel"]],
        "witness": witness.fullname if witness is not None and last["channel"] == "desk" else "",
        "notice_version": consent.notice_version, "notice_text": NOTICE_TEXT,
        "time": last["time"], "consequences": CONSEQUENCES if name == "withdrawal" else "",
        "verify_url": public_url(settings) + "/verify",
    })
    signed = sign_as_agency(pdf, settings, "Phiếu ghi nhận sự đồng ý")
    blob = blob_of(signed)
    consent.receipts[name] = blob


SYSTEM_NAME = "Kho quản lý dữ liệu điện tử của tổ chức, cá nhân"


def public_url(settings):
    return (settings.get("kho.public_url") or "http://127.0.0.1:6543").rstrip("/")
