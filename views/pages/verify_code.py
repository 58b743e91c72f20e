"""/verify/<code>: the public page a printed paper's QR code opens. No
log-in; it says whether the paper is genuine and in force (or revoked, or
expired) and shows the fields printed on it, nothing more. An unknown, an
altered and a malformed code get the same page, status and work. It writes
nothing but its own rate-limited log (repository.verification.note_lookup)."""
import datetime

from pyramid.view import view_config

from repository import verification

from ..verifying import verify_lookup
from . import vn_datetime


def shown_value(key, value, locale):
    """A printed field as people read it: times and dates the Vietnamese way."""
    try:
        if key in ("thoi_gian", "hen_tra"):
            return vn_datetime(datetime.datetime.fromisoformat(value), locale)
        if key == "hieu_luc":
            return f"{datetime.date.fromisoformat(value):%d/%m/%Y}"
    except ValueError:
        pass
    return value


@view_config(route_name="verify_code", renderer="verify_code.jinja2", request_method="GET")
def verify_code_page(request):
    status, found, wait = verify_lookup(request)
    request.response.status = status
    request.response.headers["Referrer-Policy"] = "no-referrer"
    if found:
        found = dict(found, shown=[(label, shown_value(key, value, request.locale_name))
                                   for key, label, value in found["fields"]])
    return {"found": found, "limited": status == 429, "wait": wait,
            "STATUS_LABELS": verification.STATUSES}
