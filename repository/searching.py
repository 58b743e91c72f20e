"""A search as a person may run it: scoped by visibility, text snippets only
where the reader may see content (logged when staff state a purpose).
Used by the search page, the API and `kho search query`."""
from . import audit
from .errors import ValidationError
from .indexing import find_document
from .visibility import may_see_text, search_filters

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


def run_search(root, index, user, text, *, selections=None, page=1, pagelen=PAGELEN, purpose=None):
    import search
    text = (text or "").strip()
    if not text:
        raise ValidationError({"q": "Hãy nhập nội dung tìm kiếm / type something to search for"})
    purpose = (purpose or "").strip() or None
    filters = dict(search_filters(root, user) or {})
    filters.update(selections or {})
    try:
        results = index.search(text, filters=filters, facets=FACETS, page=page, pagelen=pagelen)
    except search.QuerySyntaxError as exc:
        raise ValidationError({"q": f"Câu tìm kiếm chưa đúng / the query is malformed: {exc}"}) from None
    except search.InvalidFilter as exc:
        raise ValidationError({"filter": str(exc)}) from None
    hits, shown = [], []
    for hit in results.hits:
        document = find_document(root, hit.doc_id)
        if document is None or document.deleted:
            continue                     # the index lags a moment behind a deletion
        text_visible = may_see_text(document, user, purpose)
        if text_visible and user.subject_id != document.owner_id:
            shown.append(hit.doc_id)
        hits.append({"document": document, "doc_id": hit.doc_id, "score": round(hit.score, 3),
                     "name_html": hit.snippets.get("paper_name") or None,
                     "snippet_html": hit.snippets.get("text") if text_visible else None})
    if shown:
        audit.record(root, user, "search_read", purpose=purpose,
                     detail={"query": text, "documents": shown})
    return {"total": results.total, "page": results.page, "pagelen": results.pagelen,
            "pagecount": results.pagecount, "hits": hits, "facets": results.facets,
            "selections": selections or {}, "query": text, "purpose": purpose}
