"""The end of the reuse cycle in the browser, over the reuse world: the
commune's processor issues the approved dossier's result (signed with the
seal, filed in the owner's warehouse); the citizen finds it in "My papers"
and "My dossiers" and gets an electronic copy (sao y); the printed
receipt's and result's QR codes, read from PNG images with zbar, open the
public verification page in a browser that is not logged in; an altered
code is "not found"."""
import os
import socket
import subprocess
import threading

import pytest

from repository.verification import parse_qr_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SHOTS = os.environ.get("KHO_SCREENSHOTS")   # set to a folder to keep screenshots
OWNER = "001090012345"


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture
def results_server(reuse_settings):
    """The app on a port chosen first, so that kho.public_url (what the QR codes carry) is its address."""
    from waitress.server import create_server

    from views import main
    from views.startup import shutdown
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = main({}, **dict(reuse_settings, **{"kho.public_url": base}))
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield base
    server.close()
    shutdown(app.registry)


def new_page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def qr_texts(pdf, folder, name):
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(folder / name)],
                   check=True)
    png = next(folder.glob(f"{name}*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8").strip().splitlines()


def test_result_issued_found_copied_and_verified(browser, page, results_server, world, tmp_path):
    base = results_server
    log_in(page, base, "xuly2")
    page.goto(f"{base}/dossiers/{world.first}/")
    page.fill("#result-form textarea[name=decision]", "")
    page.click("#issue-result")
    page.wait_for_selector("#result-issued")
    assert "Giấy xác nhận tình trạng hôn nhân" in page.locator("#result-issued").inner_text()
    shot(page, "results-01-processor-issued")

    citizen_context, citizen = new_page(browser)
    public_context, public = new_page(browser)              # a phone, not logged in
    try:
        log_in(citizen, base, "congdan")
        citizen.click("#nav-my-papers")
        citizen.wait_for_url("**/papers")
        card = citizen.locator(".paper-card", has_text="Giấy xác nhận tình trạng hôn nhân")
        assert card.get_attribute("data-status") == "in_force"
        assert "Kết quả do cơ quan cấp" in card.locator(".provenance").inner_text()
        shot(citizen, "results-02-my-papers")
        card.locator("form.copy-form button").click()
        citizen.wait_for_load_state()
        assert "Đã cấp bản sao điện tử có ký số." in citizen.locator(".flash").first.inner_text()
        card = citizen.locator(".paper-card", has_text="Giấy xác nhận tình trạng hôn nhân")
        assert card.locator(".copies li").count() == 1
        shot(citizen, "results-03-copy-issued")

        citizen.click("#nav-my-dossiers")
        citizen.wait_for_url("**/dossiers")
        first = citizen.locator(f"[id='dossier-{world.first}']")
        assert first.locator("a.result-link").count() == 1
        first.locator("details.timeline summary").click()
        assert "Trả kết quả điện tử" in first.locator(".timeline").inner_text()
        shot(citizen, "results-04-my-dossiers")

        # print the receipt and the result, read their QR codes, open them on the "phone"
        receipt = citizen.request.get(f"{base}/api/v1/dossiers/{world.second}/receipt").body()
        result_href = first.locator("a.result-link").get_attribute("href")
        result = citizen.request.get(base + result_href).body()
        for name, pdf, verdict in (("receipt", receipt, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
                                   ("result", result, "Giấy xác nhận tình trạng hôn nhân")):
            [text] = qr_texts(pdf, tmp_path, name)
            address, code, fields = parse_qr_text(text)
            assert address.startswith(base + "/verify/")
            public.goto(text)
            assert public.locator("#verdict").inner_text() == "Giấy tờ thật, còn hiệu lực."
            assert verdict in public.locator("#verify-fields").inner_text()
            assert "Đăng xuất" not in public.content()
            shot(public, f"results-05-verify-{name}")
        altered = address[:-1] + ("B" if address[-1] != "B" else "C")
        public.goto(altered)
        assert "Không tìm thấy" in public.locator("#verify-result").inner_text()
        shot(public, "results-06-verify-forged")

        # the citizen lets results of this type be reused; a third procedure offers it
        citizen.goto(f"{base}/subjects/{OWNER}/consents/")
        form = citizen.locator("#grant-form")
        form.locator("select[name=target]").select_option("doctype:XNTTHN")
        form.locator("input[name=purposes][value=keep]").check()
        form.locator("input[name=purposes][value=reuse]").check()
        form.locator("input[name=notice_version]").check()
        form.locator("button[type=submit]").click()
        citizen.wait_for_load_state()
        page.context.clear_cookies()
        log_in(page, base, "canbo")
        page.goto(f"{base}/desk")
        page.fill("#open-form input[name=id]", OWNER)
        page.click("#open-form button[type=submit]")
        page.select_option("#receive-form select[name=procedure_code]", "1.000894")   # marriage registration
        page.fill("#receive-form input[name=other_id]", "010195004321")
        page.click("#receive-form button[type=submit]")
        page.wait_for_url("**/dossiers/000.15.16.H10-*/")
        offered = page.locator("#component-xac_nhan_hon_nhan_nguoi_nop input[name=item]")
        assert offered.count() == 1                    # the result, filed and consented, is reusable
        shot(page, "results-07-third-procedure-offers-the-result")
    finally:
        citizen_context.close()
        public_context.close()
