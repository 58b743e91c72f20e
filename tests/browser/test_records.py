"""A records manager's day in the browser, over the reuse world.

The citizen asks, on their deletion page, to delete a paper they keep
themselves and the ID card of an approved dossier. The records manager
(luutru) opens the console, runs the retention scan (an expired passport
becomes due), places a hold on it (approval refused), releases the hold,
approves its destruction with a reason, answers the two requests (the ID
card refused with the rule and its end date, the other granted) and
downloads the signed disposition certificate. The citizen then sees both
answers. Screenshots: /tmp/kho-records-console.png, -review.png,
-requests.png, -holds.png, -deletion.png (looked at: dates 01/12/2026,
numbers 0,12 s, Vietnamese throughout)."""
import re

import pytest
import transaction

import signing

from .conftest import serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
OWNER = "001090012345"
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
VN_DATE = re.compile(r"\b\d\d/\d\d/20\d\d\b")


def shot(page, name):
    page.screenshot(path=f"/tmp/kho-records-{name}.png", full_page=True)


@pytest.fixture
def records_server(reuse_settings):
    """Two papers of the owner written before the app starts: a passport past
    its date long ago (due at the scan) and a paper the owner uploaded."""
    from repository.db import app_root, close_databases, open_databases
    from repository.operations import add_document
    from views import main
    from views.startup import shutdown

    from ..files import pdf_bytes
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    names = {}
    with conn.transaction_manager:
        root = app_root(conn)
        for name, meta in (("passport", {"type_code": "HC", "number": "B7654321", "valid_until": "2015-06-30"}),
                           ("own", {"type_code": "QDTV", "number": "77/QĐ"})):
            names[name] = add_document(root, root.subjects[OWNER], pdf_bytes(text=f"GIAY {name.upper()}"),
                                       f"{name}.pdf", dict({"provenance": "uploaded"}, **meta),
                                       root.accounts.users["canbo"]).__name__
    conn.close()
    close_databases(db)
    app = main({}, **reuse_settings)
    server = serve(app)
    yield f"http://127.0.0.1:{server.effective_port}", names, reuse_settings["kho.trust_roots"]
    server.close()
    shutdown(app.registry)


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def flash(page):
    return " ".join(page.locator(".flash").all_inner_texts())


def ask_deletion(page, base, document):
    page.goto(f"{base}/subjects/{OWNER}/deletion")
    page.check(f"#del-{document}")
    page.click("#deletion-form button[type=submit]")
    page.wait_for_load_state()


def test_a_records_managers_day_in_the_browser(page, records_server, world):
    base, papers, trust_roots = records_server
    passport_key = f"paper:{OWNER}/{papers['passport']}"

    # the citizen asks to delete two papers
    log_in(page, base, "congdan")
    ask_deletion(page, base, papers["own"])
    ask_deletion(page, base, world.id_card)
    assert page.locator("#my-deletion-requests tbody tr").count() == 2
    assert "Thẻ căn cước" in page.locator("#my-deletion-requests").inner_text()    # the paper, not its key
    ids = {row.get_attribute("data-target"): row.get_attribute("id")[len("request-"):]
           for row in page.locator("#my-deletion-requests tbody tr").all()}
    own_request, card_request = ids[f"paper:{OWNER}/{papers['own']}"], ids[f"paper:{OWNER}/{world.id_card}"]
    assert "Đang chờ trả lời" in page.locator("#my-deletion-requests").inner_text()

    # the records manager's console: the requests with their deadlines; the scan
    log_in(page, base, "luutru")
    page.goto(base + "/records")
    console = page.locator("#console-requests").inner_text()
    assert own_request in console and card_request in console and "hạn trả lời" in console.lower()
    page.click("#run-now")
    page.wait_for_load_state()
    assert page.locator("#count-pending").inner_text().strip() != "0"
    due = page.locator("#due-list").inner_text()
    assert "B7654321" in due or passport_key in due
    assert VN_DATE.search(due) and not ISO_DATE.search(due)
    runs = page.locator("#console-runs").inner_text()
    assert re.search(r"\d,\d+ s", runs) and "đến hạn xem xét huỷ" in runs and not ISO_DATE.search(runs)
    shot(page, "console")

    # a hold on the passport: its approval is refused; released, it is approved with a reason
    page.goto(base + "/records/holds")
    page.fill("#hold-form input[name=target]", passport_key)
    page.fill("#hold-form input[name=reason]", "Thanh tra tỉnh yêu cầu giữ lại")
    page.click("#hold-form button[type=submit]")
    page.wait_for_load_state()
    hold_row = page.locator("#holds tbody tr", has_text=passport_key)
    assert "Thanh tra tỉnh" in hold_row.inner_text()
    page.goto(base + "/records/review")
    row = page.locator(f"tr[data-key='{passport_key}']")
    assert "B7654321" in row.inner_text() or "Hộ chiếu" in row.inner_text()
    shot(page, "review")
    row.locator("input[type=checkbox]").check()
    page.fill("#review-form input[name=reason]", "Hết thời hạn lưu trữ")
    page.click("#approve")
    page.wait_for_load_state()
    assert "phong toả" in flash(page).lower()
    page.goto(base + "/records/holds")
    hold_row = page.locator("#holds tbody tr", has_text=passport_key)
    hold_row.locator("input[name=reason]").fill("Đã thanh tra xong")
    hold_row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Đã gỡ" in page.locator("#holds").inner_text() or "gỡ" in flash(page).lower()
    shot(page, "holds")
    page.goto(base + "/records/review")
    page.locator(f"tr[data-key='{passport_key}'] input[type=checkbox]").check()
    page.fill("#review-form input[name=reason]", "Hết thời hạn lưu trữ")
    page.click("#approve")
    page.wait_for_load_state()
    page.goto(base + "/records/review?state=destroyed")
    destroyed = page.locator(f"tr[data-key='{passport_key}']")
    assert "Đã huỷ" in destroyed.inner_text()
    certificate = destroyed.locator("a[href^='/records/certificates/']").get_attribute("href")

    # the old ID card was revoked (a new one issued): the count of its 10 years starts
    page.goto(base + "/records/holds")
    page.fill("#event-form input[name=target]", f"paper:{OWNER}/{world.id_card}")
    page.select_option("#event-form select[name=event]", "revoked")
    page.fill("#event-form input[name=on]", "2025-03-01")
    page.click("#event-form button[type=submit]")
    page.wait_for_load_state()

    # the requests: the ID card is kept by a rule (refused with it and its end), the other granted
    page.goto(base + "/records/requests")
    card = page.locator(f"#request-{card_request}")
    assert "10 năm" in card.locator(".blockers").inner_text()
    assert card.locator("button[value=grant]").count() == 0
    card.locator("button[value=refuse]").click()
    page.wait_for_load_state()
    own = page.locator(f"#request-{own_request}")
    own.locator("input[name=reason]").fill("Giấy tờ do chính chủ tải lên")
    own.locator("button[value=grant]").click()
    page.wait_for_load_state()
    answered = page.locator(f"#request-{card_request} .request-answer").inner_text()
    assert "10 năm" in answered and re.search(r"đến hết ngày 31/12/20\d\d", answered), answered
    assert not ISO_DATE.search(answered)
    assert "Đã chấp nhận" in page.locator(f"#request-{own_request} .request-status").inner_text()
    shot(page, "requests")

    # the certificate, downloaded by the records manager, is signed with the agency's key
    response = page.request.get(base + certificate)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    report = signing.verify_pdf(pdf, [trust_roots])
    assert report.ok, report.render_text()

    # the citizen sees both answers on their deletion page
    log_in(page, base, "congdan")
    page.goto(f"{base}/subjects/{OWNER}/deletion")
    mine = page.locator("#my-deletion-requests").inner_text()
    assert "Đã chấp nhận" in mine and "Đã từ chối" in mine and "10 năm" in mine
    assert VN_DATE.search(mine) and not ISO_DATE.search(mine) and "paper:" not in mine
    assert mine.count("phải lưu 10 năm") == 1                        # the rule once, not twice
    shot(page, "deletion")



def test_metadata_search_and_the_audit_trail_in_the_browser(page, records_server):
    """The records manager finds the passport by its number and issue year,
    with no content shown; the auditor verifies the trail on demand and
    filters it by account. Screenshots: /tmp/kho-records-search.png, -audit.png."""
    base, papers, _ = records_server
    log_in(page, base, "luutru")
    page.goto(base + "/records")
    page.click("a[href='/records/search']")
    page.fill("#records-search-form input[name=number]", "b765")
    page.select_option("#records-search-form select[name=state]", "expired")
    page.click("#records-search-form button[type=submit]")
    page.wait_for_load_state()
    results = page.locator("#records-search-results").inner_text()
    assert "B7654321" in results and "Nguyễn Văn An" in results and "Hết hiệu lực" in results
    assert "30/06/2015" in results and not ISO_DATE.search(results) and "GIAY" not in page.content()
    assert "Tìm thấy 1 giấy tờ" in page.locator("#records-search-total").inner_text()
    shot(page, "search")
    page.fill("#records-search-form input[name=issued_from]", "2015-31-12")
    page.click("#records-search-form button[type=submit]")
    page.wait_for_load_state()
    assert "dd/mm/yyyy" in page.locator("#error-issued_from").inner_text()

    log_in(page, base, "kiemtoan")
    page.goto(base + "/records/audit")
    page.click("#verify-now")
    page.wait_for_load_state()
    assert "toàn vẹn" in flash(page) and "do kiemtoan thực hiện" in page.locator("#audit-checked").inner_text()
    page.fill("#audit-filter-form input[name=actor]", "luutru")
    page.fill("#audit-filter-form input[name=action]", "search_read")
    page.click("#audit-filter-form button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("#audit-entries tbody tr")
    assert rows.count() >= 1 and all("search_read" in t for t in rows.all_inner_texts())
    assert VN_DATE.search(rows.first.inner_text())
    shot(page, "audit")
