"""`kho` sub-commands that work on the repository: setup, evolve, audit, users."""
import getpass
import os
import secrets
import sys

from . import db as kdb
from .accounts import AccountError
from .audit import audit_log
from .evolve import GENERATION, evolve, generation_of


def register(subparsers):
    p = subparsers.add_parser("setup", help="create var/, evolve the database, load demo data")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo catalogue and accounts")
    p.set_defaults(func=cmd_setup)

    p = subparsers.add_parser("evolve", help="bring the database to the current generation")
    p.add_argument("--dry-run", action="store_true", help="only say which generation it is at")
    p.set_defaults(func=cmd_evolve)

    audit = subparsers.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_cmd")
    p = audit.add_parser("verify", help="recompute the hash chain; name the first broken link")
    p.set_defaults(func=cmd_audit_verify)
    p = audit.add_parser("tail", help="print the last entries")
    p.add_argument("-n", type=int, default=20)
    p.set_defaults(func=cmd_audit_tail)

    p = subparsers.add_parser("worker", help="run OCR jobs (with ZEO/RelStorage; FileStorage runs them in the app)")
    p.add_argument("--once", action="store_true", help="run the queued jobs, then stop")
    p.set_defaults(func=cmd_worker)

    p = subparsers.add_parser("import", help="bulk intake of scanned papers into one warehouse")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (PDF, PNG, JPEG, TIFF)")
    p.add_argument("--owner", required=True, help="personal id or enterprise code of the warehouse")
    p.add_argument("--type", required=True, dest="type_code", help="paper-type code, e.g. GKS")
    p.add_argument("--provenance", default="agency_result",
                   choices=["digitized", "agency_result", "certified_copy", "uploaded"])
    p.add_argument("--as", dest="as_user", help="the account to record as the importer")
    p.set_defaults(func=cmd_import)

    user = subparsers.add_parser("user", help="accounts").add_subparsers(dest="user_cmd")
    p = user.add_parser("add", help="add an account (password asked, or from $KHO_PASSWORD)")
    p.add_argument("username")
    p.add_argument("--fullname", required=True)
    p.add_argument("--role", action="append", required=True, help="repeatable")
    p.add_argument("--subject-id")
    p.add_argument("--desk")
    p.set_defaults(func=cmd_user_add)

    p = subparsers.add_parser("token", help="API tokens").add_subparsers(dest="token_cmd").add_parser(
        "create", help="issue a bearer token for an account")
    p.add_argument("username")
    p.add_argument("--label", default="")
    p.set_defaults(func=cmd_token_create)


def settings_of(args):
    if not os.path.exists(args.config):
        raise SystemExit(f"kho: no such ini file: {args.config}")
    return kdb.load_settings(args.config)


def ensure_var(settings):
    """Create the directories the settings name and the session secret."""
    var = settings.get("kho.var")
    for key in ("kho.var", "kho.blob_dir", "kho.index_dir", "kho.cache_dir"):
        if settings.get(key):
            os.makedirs(settings[key], exist_ok=True)
    secret_file = settings.get("kho.secret_file")
    if secret_file and not os.path.exists(secret_file):
        os.makedirs(os.path.dirname(secret_file), exist_ok=True)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return var


def ensure_dev_pki(settings):
    """A development PKI under kho.pki_dir, made once (never for production)."""
    pki_dir = settings.get("kho.pki_dir")
    if not pki_dir or os.path.exists(os.path.join(pki_dir, "root.pem")):
        return
    import signing
    signing.init_dev_pki(pki_dir)
    print(f"development PKI written to {pki_dir} (NOT for production)")


def cmd_setup(args):
    from .seed import describe_accounts, seed_demo
    settings = settings_of(args)
    ensure_var(settings)
    ensure_dev_pki(settings)
    db = kdb.open_databases(settings)
    try:
        conn = db.open()
        steps = evolve(conn)
        if steps:
            print(f"database evolved to generation {steps[-1]}")
        seeded = False
        if not args.no_demo:
            with conn.transaction_manager:
                seeded = seed_demo(kdb.app_root(conn))
        conn.close()
    finally:
        kdb.close_databases(db)
    print("demo data loaded" if seeded else "database ready (existing data kept)")
    if not args.no_demo:
        print(describe_accounts())
    return 0


def cmd_evolve(args):
    settings = settings_of(args)
    db = kdb.open_databases(settings)
    try:
        conn = db.open()
        current = generation_of(conn.root())
        print(f"database generation {current}, code generation {GENERATION}")
        if not args.dry_run:
            steps = evolve(conn)
            print(f"ran steps {steps}" if steps else "nothing to do")
        conn.close()
    finally:
        kdb.close_databases(db)
    return 0


def cmd_audit_verify(args):
    with kdb.opened(settings_of(args)) as conn:
        log = audit_log(conn)
        ok, broken = log.verify()
        if ok:
            print(f"audit trail intact: {len(log)} entries, head {log.head[:16]}…")
            return 0
        seq, reason = broken
        print(f"audit trail BROKEN at entry {seq}: {reason}", file=sys.stderr)
        return 1


def cmd_audit_tail(args):
    with kdb.opened(settings_of(args)) as conn:
        log = audit_log(conn)
        for seq in range(max(1, len(log) - args.n + 1), len(log) + 1):
            r = log.entries[seq]
            print(f"{r['seq']:>6} {r['time']} {r['actor']:<10} {r['action']:<18} "
                  f"{r.get('subject') or '-'} {r.get('document') or '-'} {r.get('purpose') or ''}")
    return 0


def cmd_user_add(args):
    password = os.environ.get("KHO_PASSWORD") or getpass.getpass("password: ")
    try:
        with kdb.opened(settings_of(args)) as conn:
            kdb.app_root(conn).accounts.add_user(
                args.username, args.fullname, set(args.role), password,
                subject_id=args.subject_id, desk=args.desk)
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(f"account {args.username} added")
    return 0


def cmd_token_create(args):
    try:
        with kdb.opened(settings_of(args)) as conn:
            token = kdb.app_root(conn).accounts.issue_token(args.username, args.label)
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_worker(args):
    import signal
    import threading
    from .ocr_jobs import OcrWorker
    settings = settings_of(args)
    db = kdb.open_databases(settings)
    worker = OcrWorker(db, settings)
    try:
        if args.once:
            worker.requeue_abandoned()
            count = 0
            while worker.run_one():
                count += 1
            print(f"{count} OCR job(s) run")
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"OCR worker {worker.name} waiting for jobs (Ctrl-C to stop)")
        try:
            worker.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
        return 0
    finally:
        worker.close()
        kdb.close_databases(db)


def cmd_import(args):
    from .intake import ImportActor, collect, import_files, open_for_import
    from .signatures import trust_roots
    settings = settings_of(args)
    files = collect(args.paths)
    if not files:
        print("kho: nothing to import (PDF, PNG, JPEG or TIFF files)", file=sys.stderr)
        return 2
    db, conn = open_for_import(settings)
    try:
        root = kdb.app_root(conn)
        actor = ImportActor()
        if args.as_user:
            actor = root.accounts.users.get(args.as_user)
            if actor is None:
                print(f"kho: no account {args.as_user}", file=sys.stderr)
                return 2
        accepted, refused = import_files(
            conn, files, args.owner, args.type_code, actor, {"provenance": args.provenance},
            max_bytes=int(settings.get("kho.upload.max_bytes") or 0) or None,
            trust_roots=trust_roots(settings), progress=progress_bar)
    finally:
        conn.close()
        kdb.close_databases(db)
    print(f"\n{len(accepted)} imported, OCR queued; {len(refused)} refused")
    for path, reason in refused:
        print(f"  refused {path}: {reason}")
    return 3 if refused else 0


def progress_bar(done, total, label, width=30):
    filled = int(width * done / total)
    name = os.path.basename(label)[:40]
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<40}")
    sys.stderr.flush()
