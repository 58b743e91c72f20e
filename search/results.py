"""What a search returns: plain, engine-independent values."""
from dataclasses import dataclass, field

__all__ = ["Hit", "SearchResults", "ApplyReport", "IndexStats"]


@dataclass(frozen=True)
class Hit:
    doc_id: str
    score: float
    fields: dict                      # the stored fields (see documents.FIELDS), and stamp
    snippets: dict = field(default_factory=dict)  # "text", "paper_name" -> escaped HTML with <mark>


@dataclass(frozen=True)
class SearchResults:
    total: int                        # documents matching the query and filters
    page: int
    pagelen: int
    hits: list                        # [Hit], best first, this page only
    facets: dict                      # facet field -> {value: count} over all matches

    @property
    def pagecount(self):
        return -(-self.total // self.pagelen) if self.total else 0


@dataclass(frozen=True)
class ApplyReport:
    upserted: int
    deleted: int                      # documents that were in the index and are gone


@dataclass(frozen=True)
class IndexStats:
    path: str
    count: int
    size_bytes: int
    segments: int
