"""Kho's full-text search: a Whoosh index with a Vietnamese analyzer.

Why a package of its own: the app (views/, repository/) must not know how
Vietnamese text is normalized, folded and tokenized, nor which engine holds
the index; it hands over plain dicts and gets plain results back. Nothing
here knows Pyramid or ZODB; `kho search-index` uses it alone.

Public interface
----------------
open_index(path, *, create=True, replace_outdated=False) -> SearchIndex
                                                  (ISearchEngine, Whoosh)
    SearchIndex.apply(upserts=[dict], deletes=[doc_id]) -> ApplyReport
        one commit (one small segment, search.live), findable on return;
        dict keys are in search.documents.FIELDS
        (doc_id, text, paper_name, type_code, number, issuer, issue_date,
        valid_until, validity, owner_id, dossier_codes, provenance, state,
        desk, stamp); `year` comes from issue_date
    SearchIndex.search(query_text, *, filters=None,
                       facets=("type_code", "year", "state", "desk"),
                       page=1, pagelen=20, highlight=True) -> SearchResults
        filters: {"owner_ids": set, "doc_ids": set, "type_code"|"year"|"state"|
                  "desk"|"validity"|"provenance": value or set of values}
        SearchResults(total, page, pagelen, hits=[Hit(doc_id, score, fields,
                      snippets)], facets={field: {value: count}})
    SearchIndex.stamps() -> {doc_id: stamp};  SearchIndex.count() -> int
    SearchIndex.clear();  SearchIndex.rebuild(records, *, procs=None);  SearchIndex.stats()
        rebuild: all records checked first, one commit, one process per core
    SearchIndex.warm(stop=None) -> lists read: the commonest words' postings
        into memory (search.segments), for a thread at start
compare_stamps(expected, indexed) -> StampDrift(missing, stale, orphaned)
match_words(query_text, words) -> [index of each OCR word to box]
normalize_vi(text), fold_vi(text)           (search.analysis)
Errors: SearchError > QuerySyntaxError, InvalidDocument, InvalidFilter,
        IndexUnavailable > IndexOutdated    (search.errors)

The query language (words, "phrases", prefix*, OR, -word, parentheses) is
described in search.querylang. Words typed one after the other that stand
together, in order, rank first (search.evaluation.PROXIMITY_STEP).
"""
from .errors import (IndexOutdated, IndexUnavailable, InvalidDocument, InvalidFilter,
                     QuerySyntaxError, SearchError)

# The parts (Whoosh, zope.interface) are imported when first asked for
# (PEP 562), so that `kho --help` and commands that need no index start fast.
_LAZY = {
    "fold_vi": ("analysis", "fold_vi"), "normalize_vi": ("analysis", "normalize_vi"),
    "StampDrift": ("consistency", "StampDrift"), "compare_stamps": ("consistency", "compare_stamps"),
    "ISearchEngine": ("interfaces", "ISearchEngine"), "match_words": ("matching", "match_words"),
    "ApplyReport": ("results", "ApplyReport"), "Hit": ("results", "Hit"),
    "IndexStats": ("results", "IndexStats"), "SearchResults": ("results", "SearchResults"),
    "WhooshIndex": ("whoosh_index", "WhooshIndex"), "SearchIndex": ("whoosh_index", "WhooshIndex"),
    "DEFAULT_FACETS": ("whoosh_index", "DEFAULT_FACETS"),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "open_index", "SearchIndex", "ISearchEngine", "DEFAULT_FACETS",
    "SearchResults", "Hit", "ApplyReport", "IndexStats",
    "compare_stamps", "StampDrift", "match_words", "normalize_vi", "fold_vi",
    "SearchError", "QuerySyntaxError", "InvalidDocument", "InvalidFilter", "IndexUnavailable",
    "IndexOutdated",
]


def open_index(path, *, create=True, replace_outdated=False):
    """Open the index in directory `path`, creating it (and the directory)
    unless `create` is false; raises IndexUnavailable, or IndexOutdated for
    an index written by another version, which `replace_outdated` replaces
    by an empty one instead (then `.replaced` is true: rebuild it)."""
    from .whoosh_index import WhooshIndex
    return WhooshIndex(path, create=create, replace_outdated=replace_outdated)
