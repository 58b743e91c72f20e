"""The exceptions the search package raises; all derive from SearchError."""


class SearchError(Exception):
    """Base class: anything the search package refuses, with a readable message."""


class QuerySyntaxError(SearchError, ValueError):
    """The query text cannot be understood (stray quote, parenthesis, operator...).

    `position` is the 0-based character offset in the query where the
    problem was noticed, or None.
    """

    def __init__(self, message, position=None):
        super().__init__(message)
        self.position = position


class InvalidDocument(SearchError, ValueError):
    """A record handed to `apply` is missing a field or has a wrong value."""


class InvalidFilter(SearchError, ValueError):
    """A search filter names an unknown field or has a wrong value."""


class IndexUnavailable(SearchError, OSError):
    """The index directory does not exist, is not an index, or is locked."""


class IndexOutdated(IndexUnavailable):
    """The index was written by another version of Kho (another schema or
    posting format): rebuild it (`kho search reindex`)."""
