"""HTML pages for people: log-in, the desk, warehouses, documents, uploads,
dossiers, consents and the confirmation page that faces a citizen at a desk."""
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber

from repository.calendar import format_vn_date, format_vn_datetime, in_vn
from repository.catalogues import PARTIES
from repository.consents import CHANNELS, PURPOSES, SCOPES
from repository.dossiers import ACTIONS, OUTCOMES, STATUSES
from repository.reception import REQUEST_STATES
from repository.resources import EXTRACTIONS, PROVENANCES, STATES, Warehouse
from repository.roles import RECEPTION, ROLES, STAFF

from ..messages import _, domain_message, errors_for, translate  # noqa: F401  (the pages import them from here)


def vn_datetime(moment, locale="vi"):
    """'14:05, ngày 01/12/2026' (Vietnam time); '14:05, 01/12/2026' in English."""
    if not moment:
        return ""
    if locale == "vi":
        return format_vn_datetime(moment)
    return f"{in_vn(moment):%H:%M, %d/%m/%Y}"


def vn_number(value, digits=1, locale="vi"):
    """93.5 → '93,5' in Vietnamese (a comma before the decimals, a dot
    between thousands), '93.5' in English; whole numbers without decimals."""
    if value is None or value == "":
        return ""
    value = float(value)
    text = f"{value:,.{digits}f}" if digits and round(value, digits) != int(value) else f"{round(value):,}"
    if locale == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def vn_percent(value, digits=1, locale="vi"):
    """'93,5 %' (Vietnamese) or '93.5%' (English)."""
    if value is None or value == "":
        return ""
    number = vn_number(value, digits, locale)
    return f"{number} %" if locale == "vi" else f"{number}%"


def vn_moment(value, locale="vi"):
    """An ISO 8601 time (text, as the signing library and the API write it)
    as people read it: '01/12/2026 12:35' in Vietnam time; the text itself
    when it is not a time."""
    import datetime
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return f"{in_vn(value):%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def report_text(request, parts, fallback=""):
    """A sentence of a signature report (signing.verify message()s) in the
    request's language; times in it as people read them. A report stored
    before messages were kept shows its (English) text."""
    from signing.verify import MESSAGES
    if not parts:
        return fallback or ""
    if isinstance(parts, dict):
        parts = [parts]
    out = []
    for part in parts:
        template = MESSAGES.get(part.get("id"))
        if template is None:
            out.append(part.get("id", ""))
            continue
        params = {k: vn_moment(v) if _looks_iso(v) else v for k, v in (part.get("params") or {}).items()}
        out.append(request.localizer.translate(_(template, mapping=params)))
    return " ".join(out)


def _looks_iso(value):
    return isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T"


VERDICTS = {
    "genuine": "Genuine and unchanged: every signature is valid and its signer is trusted, "
               "and nothing was changed after signing.",
    "changed": "Changed after signing: this file is not what was signed.",
    "untrusted": "Signed by someone not trusted: the file is unchanged, but its signer cannot be confirmed.",
    "unsigned": "No signature: this file carries no digital signature.",
}


def report_verdict(report):
    """'genuine' | 'changed' | 'untrusted' | 'unsigned' for a stored report (dict)."""
    from signing.verify import verdict_of
    if not report:
        return "unsigned"
    return report.get("verdict") or verdict_of(report)


def paper_progress(root, document):
    """Where a paper stands in digitizing, for lists: [(css class, msgid)]
    for its OCR, its review and its signature."""
    from repository.ocr_jobs import DONE, FAILED, QUEUED, RUNNING, job_of
    out = []
    job = job_of(root, document)
    state = job.state if job is not None else None
    if state == QUEUED:
        out.append(("wait", "OCR queued"))
    elif state == RUNNING:
        out.append(("wait", "OCR running"))
    elif state == FAILED:
        out.append(("bad", "OCR failed"))
    elif state == DONE or document.ocr is not None:
        out.append(("ok", "Text recognised"))
    if document.review_state == "pending":
        out.append(("wait", "Awaiting review"))
    elif document.review_state == "confirmed":
        out.append(("ok", "Reviewed"))
    report = document.signature_report
    if report and report.get("ok"):
        out.append(("ok", "Signed"))
    elif report:
        out.append(("bad", "Signature not valid"))
    else:
        out.append(("off", "Not signed"))
    return out


EXPIRED_FROM = "Hết hiệu lực từ "


def reason_label(request, reason):
    """A reason from repository.reception (Vietnamese) in the request's language:
    the fixed ones are msgids of the catalogue; 'Hết hiệu lực từ <date>' keeps its date."""
    localizer = request.localizer
    if reason.startswith(EXPIRED_FROM):
        return localizer.translate(_("Expired since ${day}", mapping={"day": reason[len(EXPIRED_FROM):]}))
    return localizer.translate(_(reason))


@subscriber(BeforeRender)
def template_globals(event):
    request = event.get("request")
    if request is None:
        return
    user = request.user
    locale = request.locale_name
    event.setdefault("user", user)
    event.setdefault("is_staff", bool(user and set(STAFF) & user.roles))
    event.setdefault("is_reception", bool(user and set(RECEPTION) & user.roles))
    event.setdefault("csrf_token", get_csrf_token(request))
    event.setdefault("locale", locale)
    event.setdefault("STATES", STATES)
    event.setdefault("PROVENANCES", PROVENANCES)
    event.setdefault("EXTRACTIONS", EXTRACTIONS)
    event.setdefault("ROLES", ROLES)
    event.setdefault("STATUSES", STATUSES)
    event.setdefault("ACTIONS", ACTIONS)
    event.setdefault("OUTCOMES", OUTCOMES)
    event.setdefault("REQUEST_STATES", REQUEST_STATES)
    event.setdefault("PURPOSES", PURPOSES)
    event.setdefault("CHANNELS", CHANNELS)
    event.setdefault("SCOPES", SCOPES)
    event.setdefault("PARTIES", PARTIES)
    event.setdefault("vn_datetime", lambda moment: vn_datetime(moment, locale))
    event.setdefault("vn_date", format_vn_date)
    event.setdefault("msg", lambda text: domain_message(text, locale))
    event.setdefault("reason_label", lambda reason: reason_label(request, reason))
    event.setdefault("vn_number", lambda value, digits=1: vn_number(value, digits, locale))
    event.setdefault("vn_percent", lambda value, digits=1: vn_percent(value, digits, locale))
    event.setdefault("vn_moment", lambda value: vn_moment(value, locale))
    event.setdefault("report_text", lambda parts, fallback="": report_text(request, parts, fallback))
    event.setdefault("report_verdict", report_verdict)
    event.setdefault("VERDICTS", VERDICTS)
    event.setdefault("paper_progress", lambda document: paper_progress(request.kho_root, document))


class WarehouseChild:
    """View predicate: the context is the child of that name of a warehouse
    (its 'consents' folder, say), not any other folder of the same class."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f"warehouse_child = {self.value}"

    phash = text

    def __call__(self, context, request):
        return (getattr(context, "__name__", None) == self.value
                and isinstance(getattr(context, "__parent__", None), Warehouse))


def includeme(config):
    """Routes of the pages that are not places in the resource tree; the views
    themselves are found by the app's scan."""
    config.add_view_predicate("warehouse_child", WarehouseChild)
    config.add_route("desk_identify", "/desk/identify")
    config.add_route("desk_receive", "/desk/receive")
    config.add_route("confirm_preview", "/confirm/{token}/preview/{doc_id}/{page}")
    config.add_route("confirm", "/confirm/{token}")
    # a printed paper's QR code (views/pages/verify_code.py, views/api/results.py); /verify
    # itself is the signature check (traversal), and these routes come before the API's
    config.add_route("verify_code", "/verify/{code}")
    config.add_route("api_verify_code", "/api/v1/verify/{code}")
    config.include("views.pages.records")      # /records…, /api/v1/records…, /api/v1/requests…
