"""The seam between Kho and a full-text engine (Whoosh today).

The app talks only to ISearchEngine; another engine (SQLite FTS5, Xapian,
OpenSearch...) can replace search.whoosh_index by providing it.
"""
from zope.interface import Attribute, Interface

__all__ = ["ISearchEngine"]


class ISearchEngine(Interface):
    """A full-text index of Kho's documents, one record per doc_id."""

    path = Attribute("Where the index lives (a directory for Whoosh).")

    def apply(upserts=(), deletes=()):
        """Add or replace the `upserts` (dicts, see search.documents.FIELDS)
        and remove the doc ids in `deletes`, all in one commit; a record
        that fails validation raises InvalidDocument before anything is
        written. Returns an ApplyReport. Safe to call from several threads."""

    def search(query_text, *, filters=None, facets=None, page=1, pagelen=20,
               highlight=True):
        """Run the user's query (see search.querylang) restricted by
        `filters` ({"owner_ids": set, "doc_ids": set, "type_code": value or
        set, "year": ..., "state": ..., "desk": ..., "validity": ...});
        returns SearchResults. Raises QuerySyntaxError / InvalidFilter."""

    def stamps():
        """{doc_id: stamp} of every indexed document."""

    def count():
        """Number of indexed documents."""

    def clear():
        """Remove every document (one commit)."""

    def rebuild(records):
        """Replace the whole content by `records` in one commit."""

    def warm(stop=None):
        """Load what the first searches would otherwise read from disk (for
        a background thread at start; `stop`, a threading.Event, ends it).
        Returns how many posting lists were read."""

    def stats():
        """IndexStats: count, size on disk, segments."""

    def close():
        """Release open files."""
