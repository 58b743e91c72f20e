"""`kho indicators …`: the service-quality counters (repository/indicators.py).

    kho indicators rebuild    recompute every counter from the dossiers
    kho indicators check      compare the live counters with the dossiers; exit 1 on a difference
    kho indicators show       the figures of a level and period (as the dashboard shows them)
"""
import sys


def register(subparsers):
    parser = subparsers.add_parser("indicators", help="service-quality indicators (Decision 766)")
    sub = parser.add_subparsers(dest="indicators_cmd")
    p = sub.add_parser("rebuild", help="recompute the counters from the dossiers")
    p.set_defaults(func=cmd_rebuild)
    p = sub.add_parser("check", help="report every counter that differs from the dossiers (exit 1 if any)")
    p.add_argument("--limit", type=int, default=50, help="differences printed at most (default 50)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("show", help="print the figures of one level and period kind")
    p.add_argument("--level", default="desk", choices=("desk", "agency", "province"))
    p.add_argument("--period", default="month", choices=("month", "quarter", "year"))
    p.add_argument("--from", dest="start")
    p.add_argument("--to", dest="end")
    p.set_defaults(func=cmd_show)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _settings(args):
    from .commands import settings_of
    return settings_of(args)


def _root(conn):
    from .db import app_root
    root = app_root(conn)
    if root is None:
        raise SystemExit("kho: no database yet: run `kho setup` first")
    return root


def cmd_rebuild(args):
    from . import db as kdb
    from .indicators import rebuild
    with kdb.opened(_settings(args)) as conn:
        dossiers, changed = rebuild(_root(conn))
        conn.transaction_manager.get().note("kho indicators rebuild")
    print(f"indicators rebuilt from {dossiers} dossiers: {changed} counters changed")
    return 0


def cmd_check(args):
    from . import db as kdb
    from .indicators import differences
    with kdb.opened(_settings(args)) as conn:
        found = differences(_root(conn))     # a check writes nothing
        conn.transaction_manager.abort()
    if not found:
        print("indicators agree with the dossiers")
        return 0
    for (level, unit, period, name, desk), live, computed in found[:args.limit]:
        source = "" if desk == unit else f" (desk {desk})"
        print(f"{level} {unit} {period} {name}{source}: counter {live}, dossiers {computed}")
    if len(found) > args.limit:
        print(f"… and {len(found) - args.limit} more")
    print(f"{len(found)} counter(s) differ: run `kho indicators rebuild`", file=sys.stderr)
    return 1


def cmd_show(args):
    from . import db as kdb
    from .indicators import INDICATORS, parse_filters, report
    params = {"level": args.level, "period": args.period, "from": args.start, "to": args.end}
    with kdb.opened(_settings(args)) as conn:
        data = report(_root(conn), parse_filters(params))
        conn.transaction_manager.abort()
    for row in data["rows"]:
        values = []
        for indicator in INDICATORS:
            fig = row["figures"][indicator.key]
            shown = "–" if fig["value"] is None else f"{fig['value']:.1f}"
            values.append(f"{indicator.key}={shown} ({fig['numerator']}/{fig['denominator']})")
        print(row["period"], row["unit"], " ".join(values))
    return 0
