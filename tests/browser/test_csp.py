"""The Content-Security-Policy in a real browser: the pages the reuse cycle
shows (the paper's page, the dossier page with its QR hand-off, the
confirmation page facing the citizen) load in Chromium without a single
CSP violation, reported either as a `securitypolicyviolation` event or as a
console message. A control first shows that an inline script and a <style>
element are refused and reported (so that silence means something), and
that the style attributes placing boxes over page images are allowed."""
import pytest

from ..views.test_security_matrix import names  # noqa: F401  (a pending reuse request: {token})

from .conftest import wait_true, serve
from .test_reuse_cycle import log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                    (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


class Watch:
    """CSP violations of one browser context, from events and the console."""

    def __init__(self, context):
        self.console = []
        context.add_init_script(LISTEN)
        context.on("console", self._console)

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def violations(self, page):
        """The violations reported since the last call (the page loaded)."""
        page.wait_for_load_state("networkidle")
        found = page.evaluate("() => { const v = window.__csp || []; window.__csp = []; return v; }")
        found += self.console
        self.console = []
        return found


@pytest.fixture
def csp_server(reuse_app, names):  # noqa: F811
    server = serve(reuse_app)
    yield f"http://127.0.0.1:{server.effective_port}", names[0]
    server.close()


def test_inline_scripts_and_style_elements_are_refused_and_reported(browser, csp_server):
    base, _ = csp_server
    context, page = new_page(browser)
    try:
        watch = Watch(context)
        page.goto(base + "/login")
        assert watch.violations(page) == []
        page.evaluate("""() => { const s = document.createElement("script");
                                 s.textContent = "window.__ran = true"; document.body.appendChild(s); }""")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__ran === undefined")
        found = watch.violations(page)
        assert any("script-src" in v for v in found), found

        # the position boxes over page images are style attributes: allowed;
        # a <style> element is not
        page.evaluate("""() => document.body.insertAdjacentHTML("beforeend",
            '<span id="box" class="match" style="left:10%;top:20%;width:30%;height:5%"></span>')""")
        assert page.evaluate("document.getElementById('box').style.left") == "10%"
        assert watch.violations(page) == []
        page.evaluate("""() => document.body.insertAdjacentHTML("beforeend", "<style>body{color:red}</style>")""")
        page.wait_for_timeout(300)
        found = watch.violations(page)
        assert any("style-src" in v for v in found), found
    finally:
        context.close()


def test_the_reuse_pages_load_without_a_csp_violation(browser, csp_server, world):
    base, fields = csp_server
    seen = {}

    # the desk officer of the second dossier: the dossier page, then an offer with its QR hand-off
    context, page = new_page(browser)
    try:
        watch = Watch(context)
        log_in(page, base, "canbo2")
        seen["desk"] = watch.violations(page)
        page.goto(f"{base}/dossiers/{world.second}/")
        seen["dossier"] = watch.violations(page)
        offered = page.locator("#offer-form input[name=item]")
        for i in range(offered.count()):
            offered.nth(i).check()
        page.click("#offer-button")
        page.wait_for_selector(".handoff svg")
        seen["dossier with hand-off"] = watch.violations(page)
        link = page.locator("a.confirm-link").first.get_attribute("href")
    finally:
        context.close()

    # the screen facing the citizen: no log-in, page previews
    context, page = new_page(browser)
    try:
        watch = Watch(context)
        for name, url in (("confirmation", link), ("confirmation (prepared)", f"{base}/confirm/{fields['token']}")):
            page.goto(url)
            assert page.locator(".paper").count() >= 1
            wait_true(page, "[...document.querySelectorAll('.paper-preview img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
            seen[name] = watch.violations(page)
    finally:
        context.close()

    # the owner: the warehouse and a paper's page (OCR progress, previews)
    context, page = new_page(browser)
    try:
        watch = Watch(context)
        log_in(page, base, "congdan")
        seen["warehouse"] = watch.violations(page)
        for doc in (world.id_card, world.birth):
            page.goto(f"{base}/subjects/{world.owner}/documents/{doc}/")
            page.wait_for_selector("h1")
            seen[f"document {doc}"] = watch.violations(page)
        page.goto(f"{base}/subjects/{world.owner}/consents/")
        seen["consents"] = watch.violations(page)
        page.goto(f"{base}/search?q=giấy")
        seen["search"] = watch.violations(page)
    finally:
        context.close()

    assert {name: found for name, found in seen.items() if found} == {}
