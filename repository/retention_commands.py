"""`kho retention …`: the nightly run (the due list into the review queue,
validity re-indexing), what is due, holds, approval from the command line,
a certificate's PDF, and the pack that really removes destroyed bytes."""
import json
import sys


def register(subparsers):
    ret = subparsers.add_parser("retention", help="retention schedules, holds, disposition").add_subparsers(
        dest="retention_cmd")
    p = ret.add_parser("run", help="list what is due into the review queue; re-index papers whose validity "
                                   "changed by date (the app's nightly job does the same)")
    p.add_argument("--dry-run", action="store_true", help="report only: write nothing")
    p.add_argument("--today", help="count as if today were YYYY-MM-DD (tests, catching up)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_run)
    p = ret.add_parser("due", help="the review queue (pending and deferred items)")
    p.add_argument("--all", action="store_true", help="destroyed items too")
    p.set_defaults(func=cmd_due)
    p = ret.add_parser("show", help="a paper's or dossier's schedule and disposition date")
    p.add_argument("target", help="paper:<owner>/<doc id> | dossier:<code>")
    p.set_defaults(func=cmd_show)
    p = ret.add_parser("holds", help="legal holds: list, place, release")
    p.add_argument("action", nargs="?", choices=("list", "place", "release"), default="list")
    p.add_argument("target", nargs="?", help="place: paper:<owner>/<doc>, dossier:<code> or warehouse:<owner>; "
                                             "release: the hold's id")
    p.add_argument("--reason", default="")
    p.add_argument("--as", dest="actor", help="the records manager's account (place, release)")
    p.set_defaults(func=cmd_holds)
    p = ret.add_parser("event", help="record an event that starts or changes a count: superseded, revoked "
                                     "(a paper), owner_deceased (a warehouse), dossier_closed (a dossier)")
    p.add_argument("target")
    p.add_argument("event")
    p.add_argument("--on", help="the day it happened (YYYY-MM-DD; default today)")
    p.add_argument("--note", default="")
    p.add_argument("--as", dest="actor", required=True)
    p.set_defaults(func=cmd_event)
    p = ret.add_parser("approve", help="approve the destruction of queued items (one certificate)")
    p.add_argument("keys", nargs="+")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_approve)
    p = ret.add_parser("certificate", help="write a disposition certificate's signed PDF")
    p.add_argument("certificate_id")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_certificate)
    p = ret.add_parser("pack", help="pack the database keeping no .old copy (destroyed bytes leave var/)")
    p.add_argument("--days", type=float, default=0, help="keep the history of the last DAYS days")
    p.set_defaults(func=cmd_pack)


def _settings(args):
    from .commands import settings_of
    return settings_of(args)


def _records_actor(root, username):
    from .roles import RECORDS
    user = root.accounts.users.get(username or "")
    if user is None or RECORDS not in user.roles:
        raise SystemExit(f"kho: {username!r} is not a records manager's account")
    return user


def cmd_run(args):
    import datetime
    from .retention import nightly
    today = datetime.date.fromisoformat(args.today) if args.today else None
    report = nightly(_settings(args), dry_run=args.dry_run, today=today)
    if args.json:
        print(json.dumps(dict(report.as_dict(), due_keys=report.due, held_keys=report.held)))
    else:
        done = "would queue" if args.dry_run else "queued"
        print(f"{report.papers} papers and {report.dossiers} dossiers scanned in {report.seconds:.2f} s: "
              f"{len(report.due)} due ({len(report.queued)} {done}, {len(report.requeued)} back from "
              f"deferral), {len(report.held)} held, {len(report.revalidated)} re-indexed for validity")
        for key in report.queued[:50]:
            print(f"  due   {key}")
        for key in report.held[:50]:
            print(f"  held  {key}")
    return 0


def cmd_due(args):
    from . import db as kdb
    from .retention import queue_items
    with kdb.opened(_settings(args)) as conn:
        items = [i for i in queue_items(kdb.app_root(conn)) if args.all or i.state != "destroyed"]
        for item in items:
            print(f"{item.state:10} {item.date}  {item.schedule_code:10} {item.key}  {item.label}")
        print(f"{len(items)} item(s)")
    return 0


def cmd_show(args):
    from . import db as kdb
    from .retention import disposition_of, resolve
    with kdb.opened(_settings(args)) as conn:
        target = resolve(kdb.app_root(conn), args.target)
        if target is None:
            print(f"kho: no such paper or dossier: {args.target}", file=sys.stderr)
            return 1
        print(json.dumps(disposition_of(kdb.app_root(conn), target).as_dict(), ensure_ascii=False, indent=2,
                         default=str))
    return 0


def cmd_holds(args):
    from . import db as kdb
    from .errors import Conflict, ValidationError
    from .retention import holds, place_hold, release_hold
    with kdb.opened(_settings(args)) as conn:
        root = kdb.app_root(conn)
        try:
            if args.action == "place":
                hold = place_hold(root, args.target, _records_actor(root, args.actor), args.reason)
                print(f"hold {hold.id} placed on {hold.target}")
            elif args.action == "release":
                hold = release_hold(root, args.target or "", _records_actor(root, args.actor), args.reason)
                print(f"hold {hold.id} on {hold.target} released")
            else:
                for hold in holds(root):
                    print(f"{hold.id}  {hold.target}  by {hold.placed_by} {hold.placed:%Y-%m-%d}: {hold.reason}")
        except (ValidationError, Conflict) as exc:
            conn.transaction_manager.abort()
            print(f"kho: {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_event(args):
    from . import db as kdb
    from .errors import ValidationError
    from .retention import disposition_of, record_event, resolve
    with kdb.opened(_settings(args)) as conn:
        root = kdb.app_root(conn)
        target = resolve(root, args.target)
        try:
            if target is None:
                raise ValidationError({"target": f"no such paper, dossier or warehouse: {args.target}"})
            record_event(root, target, args.event, _records_actor(root, args.actor), on=args.on, note=args.note)
        except ValidationError as exc:
            conn.transaction_manager.abort()
            print(f"kho: {exc}", file=sys.stderr)
            return 1
        if not args.target.startswith("warehouse:"):
            d = disposition_of(root, target)
            print(f"{args.target}: {d.status}, disposition date {d.date or '-'}")
    return 0


def cmd_approve(args):
    from . import db as kdb
    from .errors import Conflict, ValidationError
    from .retention import approve
    settings = _settings(args)
    with kdb.opened(settings) as conn:
        root = kdb.app_root(conn)
        try:
            certificate = approve(root, args.keys, _records_actor(root, args.actor), settings, reason=args.reason)
        except (ValidationError, Conflict) as exc:
            conn.transaction_manager.abort()
            print(f"kho: {exc}", file=sys.stderr)
            return 1
        print(f"destroyed {len(certificate.items)} item(s); certificate {certificate.id}; "
              "run `kho retention pack` to remove the bytes from the storage")
    return 0


def cmd_certificate(args):
    from . import db as kdb
    from .retention import state_of
    with kdb.opened(_settings(args)) as conn:
        certificate = state_of(kdb.app_root(conn)).certificates.get(args.certificate_id)
        if certificate is None:
            print(f"kho: no such certificate: {args.certificate_id}", file=sys.stderr)
            return 1
        with open(args.output, "wb") as out:
            out.write(certificate.pdf_bytes())
    print(f"wrote {args.output}")
    return 0


def cmd_pack(args):
    from . import db as kdb
    from .disposition import pack, purge_derived
    from .indexing import Indexer
    settings = _settings(args)
    db = kdb.open_databases(settings)
    try:
        indexer = Indexer(db, settings["kho.index_dir"]) if settings.get("kho.index_dir") else None
        if indexer is not None:
            indexer.process_pending()        # the destroyed papers' deletions
        # cached previews, and the index merged after destructions
        kdb.apart(db, lambda conn: purge_derived(kdb.app_root(conn), settings.get("kho.cache_dir"),
                                                 indexer and indexer.index))
        if indexer is not None:
            indexer.close()
        pack(db, days=args.days)
    finally:
        kdb.close_databases(db)
    print("packed")
    return 0
