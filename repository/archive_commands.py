"""`kho archive export [DOSSIER…|--due] [--out DIR] [--as USER]` and
`kho archive verify PACKAGE [--trust CERT] [--json]`: transfer to the agency
archive as BagIt packages (repository.archive) and their check
(repository.archive_verify). Nothing heavy is imported here at module level."""
import os
import sys


def register(subparsers):
    archive = subparsers.add_parser("archive", help="transfer dossiers to the agency archive (BagIt)")
    sub = archive.add_subparsers(dest="archive_cmd", metavar="ACTION")
    p = sub.add_parser("export", help="write a BagIt package per dossier and mark it transferred")
    p.add_argument("codes", nargs="*", metavar="DOSSIER", help="dossier codes (closed dossiers)")
    p.add_argument("--due", action="store_true",
                   help="every closed dossier not transferred whose work ended before this year")
    p.add_argument("--out", default="var/archive", help="where the packages go (default: var/archive)")
    p.add_argument("--as", dest="as_user", help="the records manager who transfers (default: system)")
    p.add_argument("--list", action="store_true", help="with --due: only list what is due")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("verify", help="check a package: bag, schema, every signature (exit 1 on any fault)")
    p.add_argument("package", help="a package directory, or a .zip of one")
    p.add_argument("--trust", action="append", default=[], metavar="CERT",
                   help="a trust anchor (PEM); default: kho.trust_roots of the ini file, if readable")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("history", help="the dossiers transferred, newest first")
    p.set_defaults(func=cmd_history)
    archive.set_defaults(func=lambda args: (archive.print_help(sys.stderr), 2)[1])


def cmd_history(args):
    from . import db as kdb
    from .archive import transfers
    from .calendar import format_vn_datetime
    from .commands import settings_of
    with kdb.opened(settings_of(args)) as conn:
        found = transfers(kdb.app_root(conn))
    for record in found:
        print(f"{record['code']}  {format_vn_datetime(record['time'])}  by {record['by']}  "
              f"bag {record.get('bag_sha256', '')[:16]}")
    print(f"{len(found)} dossier(s) transferred")
    return 0


def cmd_export(args):
    import transaction
    from . import db as kdb
    from . import roles as R
    from .archive import discard_package, due_for_transfer, transfer, transfer_deadline
    from .commands import settings_of
    from .errors import Conflict, ValidationError
    if bool(args.codes) == bool(args.due):
        print("kho: name dossier codes, or --due (not both)", file=sys.stderr)
        return 2
    settings = settings_of(args)
    out = os.path.abspath(args.out)
    db = kdb.open_databases(settings)
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    failures = written = 0
    try:
        root = kdb.app_root(conn)
        actor = None
        if args.as_user:
            actor = root.accounts.users.get(args.as_user)
            if actor is None or R.RECORDS not in actor.roles:
                print(f"kho: {args.as_user} is not a records manager's account", file=sys.stderr)
                return 2
        codes = [d.code for d in due_for_transfer(root)] if args.due else list(args.codes)
        if args.due and args.list:
            for code in codes:
                print(f"{code}  transfer by {transfer_deadline(root.dossiers[code]):%d/%m/%Y}")
            print(f"{len(codes)} dossier(s) due")
            return 0
        for code in codes:
            dossier = root.dossiers.get(code)
            if dossier is None:
                print(f"  refused {code}: no such dossier", file=sys.stderr)
                failures += 1
                continue
            path = None
            try:
                path = transfer(root, dossier, actor, out, settings)
                tm.commit()
            except (Conflict, ValidationError) as exc:
                tm.abort()
                message = "; ".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
                print(f"  refused {code}: {message}", file=sys.stderr)
                failures += 1
                continue
            except BaseException:
                tm.abort()
                if path:
                    discard_package(path)
                raise
            written += 1
            print(f"  {code} → {path}")
    finally:
        tm.abort()
        conn.close()
        kdb.close_databases(db)
    print(f"{written} package(s) written to {out}; {failures} refused")
    return 1 if failures else 0


def cmd_verify(args):
    from .archive_verify import verify_package
    roots = list(args.trust)
    if not roots:
        try:
            from .commands import settings_of
            from .signatures import trust_roots
            roots = [r for r in trust_roots(settings_of(args)) if os.path.exists(r)]
        except (Exception, SystemExit):   # no ini file on the archive's machine: integrity only
            roots = []
    report = verify_package(args.package, roots)
    if args.json:
        import json
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render())
    return 0 if report.ok else 1
