"""`kho audit …`: the sealer, verification over sealed and pending entries,
the last entries, and an owner's access log."""
import sys


def register(subparsers):
    audit = subparsers.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_cmd")
    p = audit.add_parser("verify", help="recompute the hash chain and the pending lanes; "
                                        "name the first broken entry")
    p.set_defaults(func=cmd_audit_verify)
    p = audit.add_parser("tail", help="print the last entries (sealed and pending)")
    p.add_argument("-n", type=int, default=20)
    p.set_defaults(func=cmd_audit_tail)
    p = audit.add_parser("seal", help="fold the pending entries into the hash chain (the one sealer: "
                                      "run it where kho.audit.sealer = process)")
    p.add_argument("--follow", action="store_true", help="keep sealing until stopped")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between runs with --follow")
    p.set_defaults(func=cmd_audit_seal)
    p = audit.add_parser("uses", help="an owner's access log: who used their papers, newest first")
    p.add_argument("owner")
    p.add_argument("--paper")
    p.add_argument("-n", type=int, default=20)
    p.set_defaults(func=cmd_audit_uses)


def _settings(args):
    from .commands import settings_of
    return settings_of(args)


def cmd_audit_verify(args):
    from . import db as kdb
    from .audit import audit_log
    with kdb.opened(_settings(args)) as conn:
        log = audit_log(conn)
        ok, broken = log.verify()
        pending = log.pending_count()
        if ok:
            print(f"audit trail intact: {log.sealed.length} entries sealed, head {log.head[:16]}…, "
                  f"{pending} pending")
            return 0
        where, reason = broken
        kind = "pending entry" if isinstance(where, str) else "entry"
        print(f"audit trail BROKEN at {kind} {where}: {reason}", file=sys.stderr)
        return 1


def cmd_audit_tail(args):
    from . import db as kdb
    from .audit import audit_log
    with kdb.opened(_settings(args)) as conn:
        log = audit_log(conn)
        total = len(log)
        first = max(1, total - args.n + 1)
        if first > log.sealed.length:
            rows = (dict(e, seq=s, pending=True) for s, e in enumerate(log.pending(), log.sealed.length + 1)
                    if s >= first)
        else:
            import itertools
            rows = itertools.chain(log.sealed.entries.values(min=first),
                                   (dict(e, seq=s, pending=True)
                                    for s, e in enumerate(log.pending(), log.sealed.length + 1)))
        for r in rows:
            mark = "*" if r.get("pending") else " "
            print(f"{r['seq']:>6}{mark} {r['time']} {r['actor']:<10} {r['action']:<18} "
                  f"{r.get('subject') or '-'} {r.get('document') or '-'} {r.get('purpose') or ''}")
    return 0


def cmd_audit_seal(args):
    from . import db as kdb
    from .audit import follow, seal_db
    db = kdb.open_databases(_settings(args))
    try:
        if args.follow:
            return follow(db, args.interval)
        total, broken = seal_db(db)
        print(f"sealed {total} entries" + (f"; not sealed, broken: {', '.join(broken)}" if broken else ""))
        return 1 if broken else 0
    finally:
        kdb.close_databases(db)


def cmd_audit_uses(args):
    from . import db as kdb
    from .access_log import uses_of
    with kdb.opened(_settings(args)) as conn:
        entries, total = uses_of(kdb.app_root(conn), args.owner, paper=args.paper, limit=args.n)
        print(f"{total} uses")
        for e in entries:
            print(f"{e['time']} {e['actor_name']} ({e['role_names']}) {e['action']:<12} "
                  f"{e.get('dossier') or '-'} {e.get('paper') or '-'} {e.get('channel') or ''}")
    return 0
