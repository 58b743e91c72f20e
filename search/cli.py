"""`kho search-index`: look at an index directory alone (no repository).

    kho search-index stats DIR
    kho search-index query DIR TEXT [--json] [--page N] [--pagelen N]

For administrators and debugging: `query` applies NO permission filter.
(`kho search` is left to the application, which knows who may see what.)
"""
import json
import os
import sys

from .errors import SearchError

__all__ = ["register"]


def register(subparsers):
    parser = subparsers.add_parser(
        "search-index", help="inspect a full-text index directory (admin, no permission filter)",
        description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="search_index_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _usage(parser))

    stats = commands.add_parser("stats", help="number of documents and size on disk")
    stats.add_argument("directory", metavar="DIR")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=_stats)

    query = commands.add_parser("query", help="run a query without any permission filter")
    query.add_argument("directory", metavar="DIR")
    query.add_argument("text", metavar="TEXT", help='the query, e.g. \'"giấy khai sinh" 0011\'')
    query.add_argument("--json", action="store_true", help="print JSON")
    query.add_argument("--page", type=int, default=1)
    query.add_argument("--pagelen", type=int, default=10)
    query.set_defaults(func=_query)


def _usage(parser):
    parser.print_help(sys.stderr)
    return 2


def _open(directory):
    from . import open_index
    if not os.path.isdir(directory):
        raise SearchError("%s is not a directory" % directory)
    return open_index(directory, create=False)


def _run(func):
    try:
        return func()
    except SearchError as exc:
        print("kho search-index: %s" % exc, file=sys.stderr)
        return 1


def _stats(args):
    def run():
        stats = _open(args.directory).stats()
        if args.json:
            print(json.dumps({"path": stats.path, "count": stats.count,
                              "size_bytes": stats.size_bytes, "segments": stats.segments}))
        else:
            print("%s: %d documents, %.1f MB in %d segment(s)"
                  % (stats.path, stats.count, stats.size_bytes / 1e6, stats.segments))
        return 0
    return _run(run)


def _json_value(value):
    if isinstance(value, bytes):
        return value.hex()
    return value


def _query(args):
    def run():
        index = _open(args.directory)
        results = index.search(args.text, page=args.page, pagelen=args.pagelen)
        if args.json:
            print(json.dumps({
                "total": results.total, "page": results.page, "pagelen": results.pagelen,
                "hits": [{"doc_id": h.doc_id, "score": round(h.score, 4),
                          "fields": {k: _json_value(v) for k, v in h.fields.items()},
                          "snippets": h.snippets} for h in results.hits],
                "facets": {name: {str(k): n for k, n in counts.items()}
                           for name, counts in results.facets.items()},
            }, ensure_ascii=False, indent=1))
            return 0
        print("%d document(s) match %r (page %d of %d)"
              % (results.total, args.text, results.page, max(results.pagecount, 1)))
        for hit in results.hits:
            name = hit.fields.get("paper_name", "")
            print("%8.2f  %s  %s  [%s]" % (hit.score, hit.doc_id, name,
                                           hit.fields.get("owner_id", "")))
            if hit.snippets.get("text"):
                print("          %s" % hit.snippets["text"])
        for name, counts in results.facets.items():
            if counts:
                print("%s: %s" % (name, ", ".join("%s=%d" % kv for kv in sorted(
                    counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))))
        return 0
    return _run(run)
