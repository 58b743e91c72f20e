"""GET /api/v1/search: the search page's results as JSON.

Staff search under a purpose (repository.visibility.search_filters): a
bearer-token client sends `?purpose=`; a browser session may not put it in
the address (400) and searches under the purpose it chose on the search
page (POST /search). Without one, staff get 400 (errors.purpose)."""
from pyramid.view import view_config

from repository import roles as R
from repository.resources import Root
from repository.searching import run_search, selections_from

from ..readings import no_purpose_in_address
from ..searching import page_number, search_index, session_search_purpose
from .helpers import api_url


@view_config(route_name="api", context=Root, name="search", request_method="GET",
             permission=R.SEARCH, renderer="json")
def search_api(request):
    if request.via_token:
        purpose = request.params.get("purpose") or None
    else:
        no_purpose_in_address(request)
        purpose = session_search_purpose(request)
    result = run_search(request.kho_root, search_index(request), request.user, request.params.get("q", ""),
                        selections=selections_from(request.params), page=page_number(request),
                        purpose=purpose)
    return {
        "total": result["total"], "page": result["page"], "pagecount": result["pagecount"],
        "facets": {name: {str(k): v for k, v in counts.items()} for name, counts in result["facets"].items()},
        "hits": [{"owner_id": h["document"].owner_id, "document_id": h["document"].__name__,
                  "name": h["document"].name, "type_code": h["document"].type_code,
                  "number": h["document"].number, "state": h["document"].effective_state(),
                  "score": h["score"], "name_html": h["name_html"], "snippet_html": h["snippet_html"],
                  "link": api_url(request, h["document"])} for h in result["hits"]],
    }
