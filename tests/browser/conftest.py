"""A live server in a thread and Debian's Chromium driven by Playwright."""
import os
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def serve(app):
    from waitress.server import create_server
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server


@pytest.fixture
def live_server(wsgi_app):
    server = serve(wsgi_app)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def live_server_with_ocr(settings):
    """The app as `make run` serves it: the OCR worker and the indexer in the app."""
    from views import main
    from views.startup import shutdown
    app = main({}, **dict(settings, **{"kho.ocr.embedded_worker": "true"}))
    server = serve(app)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    shutdown(app.registry)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API keeps an event loop running in this
    thread while it is open, which other libraries' asyncio.run() refuse."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def open_dossier(settings):
    """An open dossier of 001090012345 at canbo's desk, written before the app
    starts (ask for it before the live server): the purpose of staff reads."""
    import transaction
    from repository.db import app_root, close_databases, open_databases
    from repository.dossiers import receive_dossier
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        root = app_root(conn)
        code = receive_dossier(root, root.accounts.users["canbo"], "1.004227", "001090012345").code
    conn.close()
    close_databases(db)
    return code


def wait_true(page, expression, timeout=15_000):
    """Wait until a JavaScript expression is true. Playwright's wait_for_function
    polls with eval(), which the app's Content-Security-Policy forbids; an
    evaluate() through the DevTools protocol is not subject to it."""
    import time
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(f"() => {{ try {{ return Boolean({expression}); }} catch (e) {{ return false; }} }}"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} ms: {expression}")
        page.wait_for_timeout(100)
