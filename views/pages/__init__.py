"""HTML pages for people: log-in, the desk, warehouses, documents, uploads,
dossiers, consents and the confirmation page that faces a citizen at a desk."""
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber
from pyramid.i18n import TranslationStringFactory

from repository.calendar import format_vn_date, format_vn_datetime, in_vn
from repository.catalogues import PARTIES
from repository.consents import CHANNELS, PURPOSES, SCOPES
from repository.dossiers import ACTIONS, OUTCOMES, STATUSES
from repository.reception import REQUEST_STATES
from repository.resources import EXTRACTIONS, PROVENANCES, STATES, Warehouse
from repository.roles import RECEPTION, ROLES, STAFF

_ = TranslationStringFactory("kho")


def translate(request, message, **mapping):
    """A message of ours (an English msgid made with _()) in the request's language."""
    if mapping:
        message = _(message, mapping=mapping)
    return request.localizer.translate(message)


def domain_message(text, locale):
    """The domain writes messages as 'Vietnamese / English' (or Vietnamese
    alone): the part for this language, or the whole when there is no
    English part. A name such as 'Thẻ căn cước / căn cước công dân' is not
    split: the part after the last ' / ' must be plain ASCII to count."""
    text = str(text)
    head, sep, tail = text.rpartition(" / ")
    if sep and head.strip() and tail.isascii() and any(c.isalpha() for c in tail):
        return tail.strip() if locale == "en" else head.strip()
    return text


def errors_for(request, errors):
    """ValidationError.errors in the request's language, per field."""
    return {field: domain_message(message, request.locale_name) for field, message in errors.items()}


def vn_datetime(moment, locale="vi"):
    """'14:05, ngày 01/12/2026' (Vietnam time); '14:05, 01/12/2026' in English."""
    if not moment:
        return ""
    if locale == "vi":
        return format_vn_datetime(moment)
    return f"{in_vn(moment):%H:%M, %d/%m/%Y}"


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
