"""`kho` sub-commands that work on the repository: setup, evolve, audit, users."""
import getpass
import os
import secrets
import sys

# Nothing heavy at module level (ZODB, argon2, the resources): `kho --help` and
# the library commands must start fast; each command imports what it needs.
TOKEN_DAYS = 30     # accounts.DEFAULT_TOKEN_DAYS, named here without importing accounts


def register(subparsers):
    p = subparsers.add_parser("setup", help="create var/, evolve the database, load demo data")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo catalogue and accounts")
    p.set_defaults(func=cmd_setup)

    p = subparsers.add_parser("evolve", help="bring the database to the current generation")
    p.add_argument("--dry-run", action="store_true", help="only say which generation it is at")
    p.set_defaults(func=cmd_evolve)

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

    search = subparsers.add_parser("search", help="the full-text index of the warehouse").add_subparsers(
        dest="search_cmd")
    p = search.add_parser("query", help="the hits a user would see")
    p.add_argument("text")
    p.add_argument("--as", dest="as_user", required=True, help="the account whose view to show")
    p.add_argument("--purpose", help="staff: a dossier code, to see text excerpts (logged)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search_query)
    p = search.add_parser("reindex", help="rebuild the index from the repository")
    p.set_defaults(func=cmd_search_reindex)
    p = search.add_parser("check", help="documents missing, stale or orphaned in the index (exit 1 if any)")
    p.set_defaults(func=cmd_search_check)
    p = search.add_parser("indexer", help="apply the index queue (kho.search.indexer = process)")
    p.add_argument("--once", action="store_true")
    p.set_defaults(func=cmd_search_indexer)

    user = subparsers.add_parser("user", help="accounts").add_subparsers(dest="user_cmd")
    p = user.add_parser("add", help="add an account (password asked, or from $KHO_PASSWORD)")
    p.add_argument("username")
    p.add_argument("--fullname", required=True)
    p.add_argument("--role", action="append", required=True, help="repeatable")
    p.add_argument("--subject-id")
    p.add_argument("--desk")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("password", help="set an account's password (asked, or from $KHO_PASSWORD); "
                                          "every session of the account ends")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_password)
    p = user.add_parser("logout", help="end every session of an account at once")
    p.add_argument("username")
    p.add_argument("--tokens", action="store_true", help="revoke its API tokens too")
    p.set_defaults(func=cmd_user_logout)

    catalogue = subparsers.add_parser("catalogue", help="the catalogue").add_subparsers(dest="catalogue_cmd")
    p = catalogue.add_parser("load", help="load units, paper types, procedures, holidays from a JSON or YAML file")
    p.add_argument("file")
    p.set_defaults(func=cmd_catalogue_load)

    token = subparsers.add_parser("token", help="API tokens").add_subparsers(dest="token_cmd")
    p = token.add_parser("create", help="issue a bearer token for an account (printed once)")
    p.add_argument("username")
    p.add_argument("--label", default="")
    p.add_argument("--days", type=int, default=None,
                   help=f"how long it works (default {TOKEN_DAYS} days)")
    p.set_defaults(func=cmd_token_create)
    p = token.add_parser("list", help="tokens (of one account, or all) by id, never their secret")
    p.add_argument("username", nargs="?")
    p.set_defaults(func=cmd_token_list)
    p = token.add_parser("revoke", help="revoke a token by its id (it stops working at once)")
    p.add_argument("token_id", metavar="ID")
    p.set_defaults(func=cmd_token_revoke)


def settings_of(args):
    from . import db as kdb
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
    from . import db as kdb
    from .evolve import evolve
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
    from . import db as kdb
    from .evolve import GENERATION, evolve, generation_of
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


def cmd_user_add(args):
    from . import db as kdb
    from .accounts import AccountError
    from .audit import record
    password = os.environ.get("KHO_PASSWORD") or getpass.getpass("password: ")
    try:
        with kdb.opened(settings_of(args)) as conn:
            root = kdb.app_root(conn)
            root.accounts.add_user(args.username, args.fullname, set(args.role), password,
                                   subject_id=args.subject_id, desk=args.desk)
            record(root, None, "add_user", detail={"username": args.username, "roles": sorted(args.role)})
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(f"account {args.username} added")
    return 0


def cmd_token_create(args):
    from . import db as kdb
    from .accounts import AccountError, issue_token
    try:
        with kdb.opened(settings_of(args)) as conn:
            root = kdb.app_root(conn)
            token = issue_token(root, args.username, None, args.label, days=args.days)
            entry = root.accounts.token_entry(token)
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"id {entry['id']}, expires {entry['expires']:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0


def cmd_token_list(args):
    from . import db as kdb
    from .accounts import list_tokens
    with kdb.opened(settings_of(args)) as conn:
        root = kdb.app_root(conn)
        if args.username and args.username not in root.accounts.users:
            print(f"kho: no account {args.username}", file=sys.stderr)
            return 2
        items = list_tokens(root, None, args.username)
    for item in items:
        state = "expired" if item["expired"] else "valid"
        print(f"{item['id'] or '-':<12} {item['username']:<16} {item['created'][:16]:<17} "
              f"{item['expires'][:16]:<17} {state:<8} {item['label']}")
    print(f"{len(items)} token(s)", file=sys.stderr)
    return 0


def cmd_token_revoke(args):
    from . import db as kdb
    from .accounts import AccountError, revoke_token
    try:
        with kdb.opened(settings_of(args)) as conn:
            entry = revoke_token(kdb.app_root(conn), args.token_id, None)
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(f"token {entry['id']} of {entry['username']} revoked")
    return 0


def cmd_user_password(args):
    from . import db as kdb
    from .accounts import AccountError, change_password
    password = os.environ.get("KHO_PASSWORD") or getpass.getpass("new password: ")
    from .errors import ValidationError
    try:
        with kdb.opened(settings_of(args)) as conn:
            ended = change_password(kdb.app_root(conn), args.username, password, None)
    except (AccountError, ValidationError) as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(f"password of {args.username} changed; {ended} session(s) ended")
    return 0


def cmd_user_logout(args):
    from . import db as kdb
    from .accounts import AccountError, end_sessions
    try:
        with kdb.opened(settings_of(args)) as conn:
            ended, revoked = end_sessions(kdb.app_root(conn), args.username, None, tokens=args.tokens)
    except AccountError as exc:
        print(f"kho: {exc}", file=sys.stderr)
        return 2
    print(f"{ended} session(s) of {args.username} ended" + (f", {revoked} token(s) revoked" if args.tokens else ""))
    return 0


def cmd_catalogue_load(args):
    from . import db as kdb
    from .catalogue_file import load_catalogue, read_catalogue_file
    from .errors import ValidationError
    try:
        data = read_catalogue_file(args.file)
        with kdb.opened(settings_of(args)) as conn:
            written = load_catalogue(kdb.app_root(conn), data, None, source=os.path.abspath(args.file))
    except ValidationError as exc:
        print(f"kho: {args.file}: nothing was loaded:", file=sys.stderr)
        for where, message in exc.errors.items():
            print(f"  {where}: {message}", file=sys.stderr)
        return 2
    print(", ".join(f"{len(items)} {section}" for section, items in written.items()) + " loaded")
    return 0


def cmd_worker(args):
    from . import db as kdb
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
    from . import db as kdb
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
            trust_roots=trust_roots(settings), progress=progress_bar, settings=settings)
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


class _IndexerSession:
    """The database and the one index writer, for a search command."""

    def __init__(self, args, replace_outdated=False):
        from . import db as kdb
        import search
        from .indexing import Indexer
        self.settings = settings_of(args)
        if not self.settings.get("kho.index_dir"):
            raise SystemExit("kho: kho.index_dir is not set in the ini file")
        self.db = kdb.open_databases(self.settings)
        try:
            self.indexer = Indexer(self.db, self.settings["kho.index_dir"], replace_outdated)
        except search.IndexUnavailable as exc:
            kdb.close_databases(self.db)
            raise SystemExit("kho: %s" % exc) from None

    def __enter__(self):
        return self.indexer

    def __exit__(self, *exc):
        from . import db as kdb
        self.indexer.close()
        kdb.close_databases(self.db)


def cmd_search_reindex(args):
    with _IndexerSession(args, replace_outdated=True) as indexer:
        count = indexer.reindex(progress=progress_bar, procs=os.cpu_count() or 1)
    print(f"\nindex rebuilt: {count} documents")
    return 0


def cmd_search_check(args):
    from . import db as kdb
    with _IndexerSession(args) as indexer:
        drift = indexer.check()
        pending = indexer.conn.root()[kdb.ROOT_KEY].index_queue.pending
        queued = len(pending)
    for name in ("missing", "stale", "orphaned"):
        keys = getattr(drift, name)
        print(f"{name}: {len(keys)}" + (f"  {' '.join(keys[:20])}" + (" …" if len(keys) > 20 else "") if keys else ""))
    print(f"queued for indexing: {queued}")
    if drift:
        print("the index is NOT consistent: run `kho search indexer --once` or `kho search reindex`",
              file=sys.stderr)
        return 1
    print("index consistent with the repository")
    return 0


def cmd_search_indexer(args):
    import time
    with _IndexerSession(args, replace_outdated=True) as indexer:
        if indexer.index.replaced:
            count = indexer.reindex(progress=progress_bar, procs=os.cpu_count() or 1)
            print(f"\nthe index was made by another version: rebuilt, {count} documents")
        if args.once:
            print(f"{indexer.process_pending()} change(s) applied")
            return 0
        print("indexer applying the queue (Ctrl-C to stop)")
        try:
            while True:
                indexer.process_pending()
                time.sleep(1)
        except KeyboardInterrupt:
            return 0


def cmd_search_query(args):
    from . import db as kdb
    import json
    from .errors import ValidationError
    from .searching import run_search
    from .visibility import NotAllowed
    with _IndexerSession(args) as indexer:
        indexer.process_pending()
        conn = indexer.db.open()
        try:
            with conn.transaction_manager:
                root = kdb.app_root(conn)
                user = root.accounts.users.get(args.as_user)
                if user is None:
                    print(f"kho: no account {args.as_user}", file=sys.stderr)
                    return 2
                try:
                    result = run_search(root, indexer.index, user, args.text, page=args.page,
                                        purpose=args.purpose)
                except ValidationError as exc:
                    print("kho: " + "; ".join(exc.errors.values()), file=sys.stderr)
                    return 2
                except NotAllowed:
                    print(f"kho: {args.as_user} may not search", file=sys.stderr)
                    return 2
                hits = [{"owner_id": h["document"].owner_id, "document_id": h["document"].__name__,
                         "name": h["document"].name, "number": h["document"].number,
                         "score": h["score"], "snippet": _plain(h["snippet_html"])} for h in result["hits"]]
        finally:
            conn.close()
    if args.json:
        print(json.dumps({"total": result["total"], "page": result["page"], "hits": hits,
                          "facets": {k: {str(a): b for a, b in v.items()} for k, v in result["facets"].items()}},
                         ensure_ascii=False, indent=2))
    else:
        print(f"{result['total']} hit(s) for {args.as_user}")
        for h in hits:
            print(f"  {h['owner_id']}/{h['document_id']}  {h['name']}  {h['number']}  ({h['score']})")
            if h["snippet"]:
                print(f"      {h['snippet']}")
    return 0


def _plain(html):
    import html as htmlmod
    import re
    return htmlmod.unescape(re.sub(r"</?mark>", "", html)) if html else None
