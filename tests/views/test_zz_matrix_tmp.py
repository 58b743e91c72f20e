import pytest, transaction, webtest
from repository.db import app_root
from repository.reception import offer_reuse
from ..conftest import csrf_from, login
from ..files import pdf_bytes
from .matrix_reuse_pages import CASES, UPLOADS, EVERYONE

def last(app):
    dbs = app.registry._zodb_databases[""].databases
    return {n: db.storage.lastTransaction() for n, db in dbs.items()}

SESS = {}
@pytest.mark.parametrize("view", sorted(CASES))
def test_matrix(view, reuse_app, world):
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    with tm:
        root = app_root(conn)
        _, token = offer_reuse(root, root.dossiers[world.second], root.accounts.users["canbo2"],
                               [{"component": "tuy_than", "document": world.id_card}])
    conn.close()
    method, path, allowed, params = CASES[view]
    path = path.format(owner=world.owner, dossier=world.second, first=world.first, doc=world.id_card,
                       consent=world.consent_online, token=token)
    app = webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})
    def ask(u):
        app.reset()
        if u:
            if u not in SESS:
                login(app, u); SESS[u] = app.cookies["kho_session"]
            app.reset(); app.set_cookie("kho_session", SESS[u])
        csrf = csrf_from(app.get("/login"))
        if method == "GET":
            return app.get(path, params, status="*")
        if view in UPLOADS:
            return app.post(path, dict(params, csrf_token=csrf), status="*", upload_files=[("file", "a.pdf", pdf_bytes())])
        return app.post(path, dict(params, csrf_token=csrf), status="*")
    for u in sorted(EVERYONE - allowed, key=str):
        before = last(reuse_app)
        r = ask(u)
        if u is None:
            assert r.status_int == 302 and "/login" in r.location, (view, r.status)
        else:
            assert r.status_int == 403, (view, u, r.status)
        assert last(reuse_app) == before, (view, u)
    for u in sorted(allowed - {None}, key=str) + ([None] if None in allowed else []):
        r = ask(u)
        print(view, u, r.status)
        assert r.status_int not in (401, 403), (view, u, r.status)
