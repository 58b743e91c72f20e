"""The indicators dashboard in Chromium over a busy year: the reuse world plus
dossiers received at two desks month after month (some online, some with
papers reused from the warehouse, resolved on time or late, a few results
issued). The charts are drawn by indicators.js as inline SVG under the
page's CSP; the figures agree with a count made here from the dossiers; a
screenshot is saved for people to look at (its path is printed)."""
import datetime
import random

import pytest
import transaction

from repository.calendar import VN
from repository.db import app_root, close_databases, open_databases

from .conftest import serve, wait_true
from ..component_count import own_components

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SCREENSHOT = "/tmp/kho-indicators-dashboard.png"
OWNER = "001090012345"


def busy_year(settings, world, year):
    """About forty dossiers over the months of `year` up to now, at the commune
    desk (canbo, resolved by xuly2) and the Bát Xát desk (canbo2, resolved by
    the Department of Justice's processor, added here). Returns the test's own
    count of components: (satisfied from the warehouse, all) over every
    dossier, from the catalogue's required components and what was attached
    here and in the reuse world."""
    import repository.dossiers as dossiers
    from repository.dossiers import add_attachment, note, receive_dossier, resolve
    from repository.seed import DEMO_PASSWORD
    rng = random.Random(766)
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    real_utcnow = dossiers.utcnow
    try:
        with conn.transaction_manager:
            root = app_root(conn)
            users = root.accounts.users
            if "xuly3" not in users:
                root.accounts.add_user("xuly3", "Đinh Văn Khánh", {"processor"}, DEMO_PASSWORD,
                                       desk="000.00.01.H10")
            warehouse = root.subjects[OWNER]
            id_card, birth = warehouse.documents[world.id_card], warehouse.documents[world.birth]
            holidays = root.catalogues.holiday_dates()
            now = datetime.datetime.now(VN)
            attached = [(world.first, "giay_to_tuy_than", False), (world.first, "giay_khai_sinh", False)]
            for month in range(1, now.month + 1):
                for _ in range(rng.randint(2, 5)):
                    day = datetime.datetime(year, month, rng.randint(1, 28), rng.randint(8, 16), 0, tzinfo=VN)
                    if day >= now - datetime.timedelta(days=1):
                        continue
                    commune = rng.random() < 0.55
                    officer, processor, procedure, keys = (
                        (users["canbo"], users["xuly2"], "1.004227", ("giay_to_tuy_than", "giay_khai_sinh"))
                        if commune else (users["canbo2"], users["xuly3"], "2.001417", ("tuy_than",)))
                    channel = "online" if rng.random() < 0.35 + month * 0.03 else "desk"
                    dossier = receive_dossier(root, officer, procedure, OWNER, now=day, channel=channel)
                    reused = rng.random() < 0.2 + month * 0.05
                    for key, paper in zip(keys, (id_card, birth)):
                        add_attachment(dossier, key, paper, officer, reused=reused)
                        attached.append((dossier.code, key, reused))
                        note(dossier, officer, "reuse" if reused else "attach",
                             {"component": key, "document": paper.__name__})
                    if rng.random() < 0.85:
                        late = rng.random() < 0.2
                        days = (dossier.due - day.date()).days + (rng.randint(1, 4) if late else -rng.randint(0, 1))
                        done = datetime.datetime.combine(day.date() + datetime.timedelta(days=max(days, 0)),
                                                         datetime.time(15, 0), tzinfo=VN)
                        while done.date() in holidays or done.weekday() >= 5:
                            done += datetime.timedelta(days=1)
                        if done >= now:
                            continue
                        dossiers.utcnow = lambda done=done: done.astimezone(datetime.timezone.utc)
                        resolve(root, dossier, processor, approved=True)
                        dossiers.utcnow = real_utcnow
                        if rng.random() < 0.6:    # a result filed in the warehouse (as repository.results files it)
                            _result_paper(root, dossier)
            count = own_components(root, attached)
            from repository.indicators import differences
            assert differences(root) == []
    finally:
        dossiers.utcnow = real_utcnow
        conn.close()
        close_databases(db)
    return count


def _result_paper(root, dossier):
    """A light stand-in for a signed result (repository.results signs a real
    one; here only what the counter looks at): a paper of provenance
    agency_result with the dossier's code, and the dossier's event."""
    import hashlib

    from ZODB.blob import Blob

    from repository.dossiers import note
    from repository.operations import new_document_id
    from repository.resources import Document
    blob = Blob()
    with blob.open("w") as out:
        out.write(b"%PDF-1.7 result")
    document = Document(type_code="XNTTHN", owner_id=OWNER, name="Kết quả", original=blob,
                        filename="ket-qua.pdf", content_type="application/pdf", size=15,
                        sha256=hashlib.sha256(b"%PDF-1.7 result").hexdigest(), pages=1, created_by="xuly2",
                        provenance="agency_result", dossier_code=dossier.code, state="in_force")
    doc_id = new_document_id()
    root.subjects[OWNER].documents.add(doc_id, document)
    dossier.result_document = (OWNER, doc_id)
    note(dossier, None, "result_issued", {"document": doc_id, "owner": OWNER, "electronic": True})


@pytest.fixture
def busy_server(reuse_settings, world):
    year = datetime.datetime.now(VN).year
    count = busy_year(reuse_settings, world, year)
    from views import main
    from views.startup import shutdown
    app = main({}, **reuse_settings)
    server = serve(app)
    yield f"http://127.0.0.1:{server.effective_port}", count, year
    server.close()
    shutdown(app.registry)


def test_the_dashboard_draws_its_charts_and_agrees_with_the_dossiers(browser, busy_server):
    base, (reused, total), year = busy_server
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.fill("input[name=username]", "luutru")
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(base + f"/indicators?level=desk&period=month&from={year}-01&to={year}-12")
    wait_true(page, "document.body.getAttribute('data-charts') === 'drawn'")
    # the trend: one slot per month of the year, bars for the months with dossiers
    months = datetime.datetime.now(VN).month
    assert page.locator("#chart-trend svg[data-indicator=reuse]").count() == 1
    assert page.locator("#chart-trend svg > text").count() >= 12
    assert 1 <= page.locator("#chart-trend rect.bar").count() <= months
    assert page.locator("#chart-trend path.line").count() == 1
    # the comparison: the two desks, each bar's value its figure over the year
    bars = page.locator("#chart-compare rect.bar")
    assert bars.count() == 2
    assert {bars.nth(i).get_attribute("data-unit") for i in range(2)} == {"000.15.16.H10", "000.16.16.H10"}
    # the card's figure is the test's own count
    equation = page.locator("#card-reuse .ind-equation").inner_text()
    percent = f"{reused * 100 / total:,.1f}".replace(".", ",")
    assert equation == f"Tỷ lệ tái sử dụng = {reused} ÷ {total} = {percent} %", equation
    # another indicator redraws both charts
    page.select_option("#chart-indicator", "on_time")
    wait_true(page, "document.querySelector('#chart-trend svg').getAttribute('data-indicator') === 'on_time'")
    page.select_option("#chart-indicator", "reuse")
    wait_true(page, "document.querySelector('#chart-compare svg').getAttribute('data-indicator') === 'reuse'")
    page.screenshot(path=SCREENSHOT, full_page=True)
    print(f"\nscreenshot of the dashboard: {SCREENSHOT}")
    assert not errors, errors            # no CSP refusal, no script error
    context.close()
