"""HTML pages for people: log-in, the desk, warehouses, documents, uploads."""
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber

from repository.resources import EXTRACTIONS, PROVENANCES, STATES
from repository.roles import RECEPTION, ROLES, STAFF


@subscriber(BeforeRender)
def template_globals(event):
    request = event.get("request")
    if request is None:
        return
    user = request.user
    event.setdefault("user", user)
    event.setdefault("is_staff", bool(user and set(STAFF) & user.roles))
    event.setdefault("is_reception", bool(user and set(RECEPTION) & user.roles))
    event.setdefault("csrf_token", get_csrf_token(request))
    event.setdefault("locale", request.locale_name)
    event.setdefault("STATES", STATES)
    event.setdefault("PROVENANCES", PROVENANCES)
    event.setdefault("EXTRACTIONS", EXTRACTIONS)
    event.setdefault("ROLES", ROLES)


def includeme(config):
    """The views are found by the app's scan; nothing else to set up."""
