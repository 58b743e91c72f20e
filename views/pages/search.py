"""The search page: facets, highlighted snippets, pagination, scoped to what
the reader may see."""
from urllib.parse import urlencode

from pyramid.view import view_config

from repository import roles as R
from repository.errors import ValidationError
from repository.resources import Root
from repository.searching import FACETS, run_search, selections_from


def search_index(request):
    index = getattr(request.registry, "kho_search_index", None)
    if index is None:
        raise ValidationError({"q": "Chưa cấu hình chỉ mục tìm kiếm / no search index configured"})
    return index


def page_number(request):
    try:
        return max(1, int(request.params.get("page", 1)))
    except ValueError:
        raise ValidationError({"page": "Trang phải là số / page is a number"}) from None


@view_config(context=Root, name="search", permission=R.SEARCH, renderer="search.jinja2")
def search_page(request):
    query = request.params.get("q", "")
    purpose = request.params.get("purpose", "").strip() or None
    result, error = None, None
    if query.strip():
        try:
            result = run_search(request.kho_root, search_index(request), request.user, query,
                                selections=selections_from(request.params), page=page_number(request),
                                purpose=purpose)
        except ValidationError as exc:
            error = "; ".join(exc.errors.values())
            request.response.status = 400
    base = {k: v for k, v in request.params.items() if k in ("q", "purpose") + FACETS and v}

    def link(page=None, **changes):
        """This search with some facets changed (a value of '' drops it)."""
        params = dict(base, **changes)
        if page:
            params["page"] = page
        return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return {"query": query, "purpose": purpose or "", "result": result, "error": error, "link": link,
            "selected": {k: request.params.get(k, "") for k in FACETS},
            "staff": bool(set(R.STAFF) & request.user.roles),
            "doctypes": request.kho_root.catalogues.doctypes}
