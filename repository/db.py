"""Opening storage from zodburi URIs, as pyramid_zodbconn does, without Pyramid.

`zodbconn.uri` names the main database, `zodbconn.uri.NAME` each other one
(the audit trail is `audit`); together they form one multi-database."""
import contextlib

import transaction
import ZODB
import zodburi

ROOT_KEY = "kho"


def open_databases(settings):
    """Return the main DB of the multi-database the settings describe."""
    if not settings.get("zodbconn.uri"):
        raise RuntimeError("zodbconn.uri is not set in the ini file")
    databases = {}
    main = _open(settings["zodbconn.uri"], "unnamed", databases)
    for key, uri in settings.items():
        if key.startswith("zodbconn.uri."):
            _open(uri, key[len("zodbconn.uri."):], databases)
    return main


def _open(uri, name, databases):
    storage_factory, dbkw = zodburi.resolve_uri(uri)
    dbkw.pop("database_name", None)
    storage = storage_factory()
    keep_no_old_copy(storage)
    return ZODB.DB(storage, database_name=name, databases=databases, **dbkw)


def keep_no_old_copy(storage):
    """A FileStorage pack keeps Data.fs.old and blobs.old (every revision it
    removed) unless told not to: destroyed records must really go."""
    if hasattr(storage, "pack_keep_old"):
        storage.pack_keep_old = False


def close_databases(db):
    for other in list(db.databases.values()):
        other.close()


def app_root(conn):
    """The Root of the app in an open connection (None before the first set-up)."""
    return conn.root().get(ROOT_KEY)


@contextlib.contextmanager
def opened(settings):
    """A connection in a transaction that commits on success, for commands."""
    db = open_databases(settings)
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        with tm:
            yield conn
    finally:
        conn.close()
        close_databases(db)


def load_settings(ini_path, section="app:main"):
    """Settings of an ini file (with %(here)s), read through plaster."""
    import plaster
    return dict(plaster.get_settings(ini_path, section))


def apart(db, work, attempts=5):
    """Run work(conn) in a transaction of its own on db, committed at once and
    retried on a conflict; returns its result. For what must be kept although
    the request's own transaction is aborted: a refusal's audit entry, a failed
    log-in, a message to a visitor whose request was refused."""
    from ZODB.POSException import ConflictError
    for attempt in range(attempts):
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        try:
            result = work(conn)
            tm.commit()
            return result
        except ConflictError:
            if attempt == attempts - 1:
                raise
        finally:
            tm.abort()
            conn.close()
