"""A search as a person may run it, scoped by what they may read.
Used by the search page, the API and `kho search query`.

A match in a paper's text tells something of its content, so staff search
only under a purpose, and find only papers that purpose lets them read
(repository.visibility.search_filters): every hit they get is readable, with
its text excerpt. Every staff search is audited under each owner whose
papers it returned (`search_read`, detail: the query and the papers), so the
owner's access log shows it; a search that returned nothing is audited once
with no owner, and a refused purpose is audited (`search_refused`).
Citizens search their own papers; that is not logged."""
from . import audit
from .errors import Refused, ValidationError
from .indexing import find_document
from .reading import purpose_refusal
from .visibility import is_staff, search_filters

FACETS = ("type_code", "year", "state", "desk")
PAGELEN = 20


def selections_from(params):
    """Facet selections from request/CLI parameters, e.g. {"year": 2022}."""
    chosen = {}
    for name in FACETS:
        value = (params.get(name) or "").strip()
        if value:
            if name == "year":
                if not value.isdigit():
                    raise ValidationError({"year": "Năm phải là số / a year is a number"})
                value = int(value)
            chosen[name] = value
    return chosen


def check_search_purpose(root, user, purpose):
    """The filter user's searches under purpose run with (see
    visibility.search_filters); a refused purpose is audited apart (the
    request's transaction is aborted) and raised."""
    try:
        return search_filters(root, user, purpose)
    except Refused as exc:
        dossier = root.dossiers.get((purpose or "").strip())
        subjects = dossier.persons if dossier is not None else (None,)
        for subject in subjects:
            audit.record_apart(root, user, "search_refused", subject=subject,
                               purpose=(purpose or "").strip() or None, detail={"reason": str(exc)})
        raise


def run_search(root, index, user, text, *, selections=None, page=1, pagelen=PAGELEN, purpose=None):
    import search
    text = (text or "").strip()
    purpose = (purpose or "").strip() or None
    filters = check_search_purpose(root, user, purpose)
    if not text:
        raise ValidationError({"q": "Hãy nhập nội dung tìm kiếm / type something to search for"})
    filters = dict(filters or {})
    filters.update(selections or {})
    try:
        results = index.search(text, filters=filters, facets=FACETS, page=page, pagelen=pagelen)
    except search.QuerySyntaxError as exc:
        raise ValidationError({"q": f"Câu tìm kiếm chưa đúng / the query is malformed: {exc}"}) from None
    except search.InvalidFilter as exc:
        raise ValidationError({"filter": str(exc)}) from None
    hits, returned = [], {}
    for hit in results.hits:
        document = find_document(root, hit.doc_id)
        if document is None or document.deleted:
            continue                     # the index lags a moment behind a deletion
        if purpose_refusal(document, user, purpose) is not None:
            continue                     # never with the filter above; kept as a guard
        returned.setdefault(document.owner_id, []).append(document.__name__)
        hits.append({"document": document, "doc_id": hit.doc_id, "score": round(hit.score, 3),
                     "name_html": hit.snippets.get("paper_name") or None,
                     "snippet_html": hit.snippets.get("text")})
    if is_staff(user):
        log_search(root, user, text, purpose, returned)
    return {"total": results.total, "page": results.page, "pagelen": results.pagelen,
            "pagecount": results.pagecount, "hits": hits, "facets": results.facets,
            "selections": selections or {}, "query": text, "purpose": purpose}


def log_search(root, user, text, purpose, returned):
    """One `search_read` entry per owner whose papers the search returned."""
    for owner, papers in sorted(returned.items()):
        audit.record(root, user, "search_read", subject=owner, purpose=purpose,
                     detail={"query": text, "papers": papers})
    if not returned:
        audit.record(root, user, "search_read", subject=None, purpose=purpose,
                     detail={"query": text, "papers": []})
