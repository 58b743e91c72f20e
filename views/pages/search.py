"""The search page: facets, highlighted snippets, pagination, scoped to what
the reader may read (repository.visibility.search_filters).

Citizens search their own papers. Staff search under a purpose, chosen by a
POST to /search (CSRF token; a dossier their unit handles, or a records
purpose) and kept in the session: every search page (GET, with links for
facets and pages) then runs under it and is audited under the owners it
returned. A purpose in the address of a GET is refused (400), so a link
from another site cannot state one. Bearer-token API clients send
`?purpose=` with GET /api/v1/search instead (views/api/search.py)."""
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.dossiers import unit_handles, visible_dossiers
from repository.errors import Refused, ValidationError
from repository.reading import RECORDS_PURPOSES
from repository.resources import Root
from repository.searching import FACETS, check_search_purpose, run_search, selections_from
from repository.visibility import is_staff

from ..readings import no_purpose_in_address
from ..searching import SESSION_KEY, page_number, search_index, session_search_purpose
from . import _, domain_message, translate


def search_purposes(request):
    """What staff may search under: the open dossiers their unit handles; the
    records purposes for records managers."""
    user = request.user
    choices = [(d.code, d.code) for d in visible_dossiers(request.kho_root, user)
               if d.is_open and unit_handles(user, d)]
    if R.RECORDS in user.roles:
        choices += list(RECORDS_PURPOSES.items())
    return choices


@view_config(context=Root, name="search", permission=R.SEARCH, renderer="search.jinja2",
             request_method="GET")
def search_page(request):
    no_purpose_in_address(request)
    query = request.params.get("q", "")
    staff = is_staff(request.user)
    purpose = session_search_purpose(request) if staff else None
    result, error = None, None
    if query.strip() and (purpose or not staff):
        try:
            result = run_search(request.kho_root, search_index(request), request.user, query,
                                selections=selections_from(request.params), page=page_number(request),
                                purpose=purpose)
        except ValidationError as exc:
            error = "; ".join(domain_message(m, request.locale_name) for m in exc.errors.values())
            request.response.status = 400
        except Refused as exc:              # the purpose no longer holds (the dossier closed)
            request.session.pop(SESSION_KEY, None)
            error = domain_message(str(exc), request.locale_name)
            purpose = None
            request.response.status = 403
    elif query.strip():
        error = translate(request, _("Choose the purpose of your search first: what you find is what it lets you read."))
    base = {k: v for k, v in request.params.items() if k in ("q",) + FACETS and v}

    def link(page=None, **changes):
        """This search with some facets changed (a value of '' drops it)."""
        params = dict(base, **changes)
        if page:
            params["page"] = page
        return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return {"query": query, "purpose": purpose or "", "result": result, "error": error, "link": link,
            "selected": {k: request.params.get(k, "") for k in FACETS},
            "staff": staff, "purposes": search_purposes(request) if staff else [],
            "doctypes": request.kho_root.catalogues.doctypes}


@view_config(context=Root, name="search", permission=R.SEARCH, request_method="POST")
def choose_purpose(request):
    """Staff choose (or, with an empty purpose, drop) the purpose their
    searches run under; a refused one is audited and shown."""
    purpose = request.POST.get("purpose", "").strip()
    if not purpose or not is_staff(request.user):
        request.session.pop(SESSION_KEY, None)
    else:
        try:
            check_search_purpose(request.kho_root, request.user, purpose)
        except Refused as exc:
            request.session.pop(SESSION_KEY, None)
            request.session.flash(domain_message(str(exc), request.locale_name), "error")
        else:
            request.session[SESSION_KEY] = purpose
    query = request.POST.get("q", "").strip()
    return HTTPFound(request.resource_url(request.context, "search",
                                          query={"q": query} if query else None))
