"""Shared fixtures: a seeded database made once per session and copied per
test (argon2 hashing of the demo accounts is slow on purpose), the WSGI app
over it, and log-in helpers."""
import os
import re
import shutil

import pytest
import transaction
import webtest

from repository.db import app_root, close_databases, open_databases
from repository.evolve import evolve
from repository.seed import DEMO_PASSWORD, seed_demo


def storage_settings(base):
    """App settings for a FileStorage (+ audit) under base."""
    base = str(base)
    return {
        "zodbconn.uri": f"file://{base}/Data.fs?blobstorage_dir={base}/blobs",
        "zodbconn.uri.audit": f"file://{base}/Audit.fs",
        "kho.var": base,
        "kho.cache_dir": f"{base}/cache",
        "kho.index_dir": f"{base}/index",
        "kho.pki_dir": f"{base}/pki",
        "kho.trust_roots": f"{base}/pki/root.pem",
        "kho.signer.canbo": f"p12 {base}/pki/officer.p12 {base}/pki/passphrase.txt",
        "kho.signer.buudien": f"p12 {base}/pki/postal.p12 {base}/pki/passphrase.txt",
        "kho.signer.agency": f"p12 {base}/pki/agency.p12 {base}/pki/passphrase.txt",
        "kho.session_secret": "test-secret-" + "x" * 40,
        "kho.auto_evolve": "true",
        "kho.upload.max_bytes": str(5 * 1024 * 1024),
        "pyramid.default_locale_name": "vi",
    }


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A database with the demo catalogue and accounts, and a development PKI, written once."""
    import signing
    base = tmp_path_factory.mktemp("template")
    signing.init_dev_pki(base / "pki")
    db = open_databases(storage_settings(base))
    conn = db.open(transaction.TransactionManager())
    evolve(conn)
    with conn.transaction_manager:
        seed_demo(app_root(conn))
    conn.close()
    close_databases(db)
    return base


def copy_template(template, tmp_path):
    base = tmp_path / "var"
    shutil.copytree(template, base, ignore=shutil.ignore_patterns("*.lock", "*.tmp", "*.index"))
    return storage_settings(base)


@pytest.fixture
def settings(seeded_template, tmp_path):
    return copy_template(seeded_template, tmp_path)


@pytest.fixture(scope="session")
def reuse_template(seeded_template, tmp_path_factory):
    """The seeded database after one approved procedure and a second dossier
    open at another district's desk (tests/reuse_world.py), written once;
    its names (codes, document ids) in reuse_template.world."""
    from . import reuse_world
    base = tmp_path_factory.mktemp("reuse") / "var"
    shutil.copytree(seeded_template, base, ignore=shutil.ignore_patterns("*.lock", "*.tmp", "*.index"))
    settings = storage_settings(base)
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        world = reuse_world.build(app_root(conn), settings)
        names = reuse_world.names(world)
    conn.close()
    close_databases(db)
    return base, names


@pytest.fixture
def reuse_settings(reuse_template, tmp_path):
    """App settings over a copy of reuse_template."""
    return copy_template(reuse_template[0], tmp_path)


@pytest.fixture
def world(reuse_template):
    """The names of the reuse world: first, second (dossier codes), id_card,
    birth (document ids), consent_desk, consent_online (consent ids)."""
    return reuse_template[1]


@pytest.fixture
def reuse_app(reuse_settings):
    yield from _app(reuse_settings)


@pytest.fixture
def reuse_testapp(reuse_app):
    return webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})


def _app(settings):
    from views import main
    from views.startup import shutdown
    app = main({}, **settings)
    yield app
    shutdown(app.registry)


@pytest.fixture
def wsgi_app(settings):
    yield from _app(settings)


@pytest.fixture
def testapp(wsgi_app):
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def open_root(wsgi_app):
    """open_root() → the app's root in a fresh connection (aborted at the end)."""
    yield from _root_opener(wsgi_app)


@pytest.fixture
def reuse_open_root(reuse_app):
    """open_root over the reuse world's app."""
    yield from _root_opener(reuse_app)


def _root_opener(wsgi_app):
    opened = []

    def _open():
        tm = transaction.TransactionManager()
        conn = wsgi_app.registry._zodb_databases[""].open(tm)
        opened.append(conn)
        return app_root(conn)
    yield _open
    for conn in opened:
        conn.transaction_manager.abort()
        conn.close()


@pytest.fixture
def receive(open_root):
    """receive(username, procedure, person) → the code of a dossier received at
    that account's desk, committed (a real purpose for staff reads)."""
    from repository.dossiers import receive_dossier

    def _receive(username="canbo", procedure="1.004227", person="001090012345"):
        root = open_root()
        with root._p_jar.transaction_manager:
            code = receive_dossier(root, root.accounts.users[username], procedure, person).code
        return code
    return _receive


@pytest.fixture
def dossier_code(receive):
    """An open dossier of 001090012345 received by canbo at the commune desk
    (whose unit also resolves it)."""
    return receive()


def csrf_from(response):
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(testapp, username, password=DEMO_PASSWORD):
    page = testapp.get("/login")
    response = testapp.post("/login", {"username": username, "password": password,
                                       "csrf_token": csrf_from(page)})
    assert response.status_int == 302, response.text
    return response


@pytest.fixture
def as_user(testapp):
    def _as(username):
        testapp.reset()
        login(testapp, username)
        return testapp
    return _as


@pytest.fixture
def token_for(testapp):
    def _token(username):
        response = testapp.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD})
        return {"Authorization": f"Bearer {response.json['token']}"}
    return _token


FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def write_ini(folder, settings):
    """An ini file with these app settings, for `kho -c` in a subprocess."""
    path = os.path.join(str(folder), "kho.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write("[app:main]\nuse = egg:kho\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    return path


# -- markers for `make test-fast` (issue 13) -------------------------------------------
# Everything under tests/browser/ is `browser`; a test that needs tesseract is
# `tesseract`, by the marker (tests/ocr/support.py: needs_tesseract) or by
# asking for the `tesseract` fixture. `make test-fast` leaves out slow,
# browser and tesseract tests; `make test` runs them all.

def pytest_collection_modifyitems(config, items):
    import shutil

    from ocr.tesseract import tesseract_available
    have_tesseract = tesseract_available() and shutil.which("pdftoppm") is not None
    browser_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser") + os.sep
    for item in items:
        if str(item.fspath).startswith(browser_dir) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if "tesseract" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("tesseract"):
            item.add_marker(pytest.mark.tesseract)
        if item.get_closest_marker("tesseract") and not have_tesseract:
            item.add_marker(pytest.mark.skip(reason="tesseract and poppler-utils are needed"))


@pytest.fixture
def tesseract():
    """For a test that runs real tesseract (marks it `tesseract`; skipped without it)."""
    from ocr.tesseract import tesseract_command
    return tesseract_command()
