"""The reuse cycle in the browser, over the reuse world (tests/reuse_world.py):
a desk officer of another district opens the person's second dossier, both
papers from the first procedure are offered, the citizen previews them on
the confirmation page facing them (another browser, no log-in) and agrees;
both are attached by reference. Then the citizen withdraws the consent of
the birth certificate online, and at the next reception it is greyed out."""
import os

import pytest

from .conftest import wait_true, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SHOTS = os.environ.get("KHO_SCREENSHOTS")   # set to a folder to keep screenshots
QR_WITH_ANOTHER_NAME = "001090012345|123456789|Nguyễn Văn Ân|12051990|Nam|Lào Cai|01012021"


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture
def reuse_server(reuse_app):
    server = serve(reuse_app)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def new_page(browser, locale="vi-VN"):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def test_second_procedure_reuses_the_papers_of_the_first(browser, page, reuse_server, world):
    base = reuse_server
    log_in(page, base, "canbo2")
    page.wait_for_url("**/desk")
    page.fill("#open-form input[name=id]", world.owner)
    page.click("#open-form button[type=submit]")
    assert "Nguyễn Văn An" in page.locator("#person h2").inner_text()
    shot(page, "reuse-01-desk")
    page.click(f"#person-dossiers a:has-text('{world.second}')")
    page.wait_for_url(f"**/dossiers/{world.second}/")

    offered = page.locator("#offer-form input[name=item]")
    assert offered.count() == 2                               # the ID card and the birth certificate
    for i in range(2):
        offered.nth(i).check()
    shot(page, "reuse-02-dossier-candidates")
    page.click("#offer-button")
    page.wait_for_selector(".handoff svg")
    link = page.locator("a.confirm-link").get_attribute("href")
    shot(page, "reuse-03-dossier-handoff")

    facing, screen = new_page(browser)                       # the screen facing the citizen
    try:
        screen.goto(link)
        assert "Xác nhận tái sử dụng giấy tờ của bạn" in screen.locator("h1").inner_text()
        assert screen.locator(".paper").count() == 2
        wait_true(screen, "[...document.querySelectorAll('.paper-preview img')].every(i => i.complete && i.naturalWidth > 0)")
        assert "Đăng xuất" not in screen.content()
        shot(screen, "reuse-04-confirm")
        screen.click("#answer-form button[value=accept]")
        screen.wait_for_selector("#answered")
        assert "Cảm ơn bạn đã đồng ý" in screen.locator("#answered").inner_text()
        shot(screen, "reuse-05-confirm-done")
    finally:
        facing.close()

    page.reload()
    assert page.locator(".badge.reused").count() == 2
    assert page.locator("text=Tái sử dụng từ kho").count() == 2
    shot(page, "reuse-06-dossier-reused")
    page.goto(f"{base}/dossiers/{world.second}/?_LOCALE_=en")
    assert page.locator(".badge.reused").first.inner_text() == "Reused from the warehouse"
    shot(page, "reuse-07-dossier-english")
    page.goto(f"{base}/lang/vi?came_from=/desk")

    citizen_context, citizen = new_page(browser)
    try:
        log_in(citizen, base, "congdan")
        citizen.wait_for_url(f"**/subjects/{world.owner}/")
        shot(citizen, "reuse-08-warehouse")
        citizen.click("#consents-link")
        assert "Thông báo về việc xử lý dữ liệu cá nhân" in citizen.content()
        shot(citizen, "reuse-09-consents")
        card = citizen.locator(f"#consent-{world.consent_online}")
        assert "Mọi giấy tờ loại Giấy khai sinh" in card.inner_text()
        card.locator("form.withdraw-form button").click()
        citizen.wait_for_load_state()
        flash = citizen.locator(".flash").first.inner_text()
        assert "Đã rút lại sự đồng ý" in flash and "có thể phải nộp lại giấy tờ" in flash
        assert "đã rút lại" in citizen.locator(f"#consent-{world.consent_online}").inner_text()
        shot(citizen, "reuse-10-consent-withdrawn")

        # the next reception, opened from the ID card's QR text (posted; the name differs from the warehouse's)
        page.goto(f"{base}/desk")
        page.fill("#open-form input[name=id]", QR_WITH_ANOTHER_NAME)
        page.click("#open-form button[type=submit]")
        assert "Nguyễn Văn Ân" in page.locator("#mismatches").inner_text()
        assert "|" not in page.url
        shot(page, "reuse-11-desk-qr-mismatch")
        page.select_option("#receive-form select[name=procedure_code]", "2.001417")
        page.click("#receive-form button[type=submit]")
        page.wait_for_url("**/dossiers/000.16.16.H10-*/")
        assert "Đã tiếp nhận hồ sơ" in page.locator(".flash").first.inner_text()
        third = page.url.rstrip("/").rsplit("/", 1)[1]
        birth = page.locator("#component-giay_khai_sinh")
        assert birth.locator("input[name=item]").count() == 0
        assert "Chưa có sự đồng ý tái sử dụng" in birth.locator(".candidate.unusable").inner_text()
        card = page.locator("#component-tuy_than input[name=item]")
        assert card.count() == 1                                # the ID card still serves
        shot(page, "reuse-12-after-withdrawal")

        # this time the citizen answers online, in their own account
        card.check()
        page.click("#offer-button")
        page.wait_for_selector(".handoff")
        citizen.goto(f"{base}/dossiers/")
        assert third in citizen.locator("#dossier-list").inner_text()
        shot(citizen, "reuse-13-my-dossiers")
        citizen.click(f"a:has-text('{third}')")
        ask = citizen.locator("section.ask")
        assert "Thẻ căn cước / căn cước công dân" in ask.inner_text()
        shot(citizen, "reuse-14-citizen-asked")
        ask.locator("button[value=accept]").click()
        citizen.wait_for_load_state()
        assert "giấy tờ đã được đính kèm" in citizen.locator(".flash").first.inner_text()
        assert citizen.locator(".badge.reused").count() == 1
        shot(citizen, "reuse-15-citizen-agreed")
    finally:
        citizen_context.close()
    page.reload()
    assert page.locator("#component-tuy_than .badge.reused").count() == 1
    assert "trực tuyến" in page.locator("#requests").inner_text()
