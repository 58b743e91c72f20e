"""Vietnamese throughout (issue 13): every page and every API error a person
reads in `vi` is Vietnamese. A heuristic: a run of text with two or more
common English words (and no Vietnamese letter with a mark) is an English
sentence; codes, names and technical terms are allowed."""
import re

import pytest
from bs4 import BeautifulSoup

from ..conftest import csrf_from
from ..files import pdf_bytes
from .test_ocr_flow import run_worker, upload_scan

OWNER = "001090012345"
ENGLISH = frozenset("""
the a an is are was were be been not no of and or to for from with without by on in at this that these
those it its there their your you we our has have had can cannot could should must may will would do does
did only please here what which who when where why how all any some every than then into out up down
file page paper papers document signature signed error found allowed invalid required missing wrong
expected already must try again later yet more less first open check sign review upload log
""".split())
# words that are the same in both languages, codes, names of things
ALLOWED = frozenset("""pdf ocr png jpeg tiff pades b-b b-t b-lt crl ocsp csrf json api kho id qr url
utf-8 iso english tiếng việt""".split())
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def english_runs(text):
    """The parts of `text` that read as English sentences."""
    found = []
    for run in re.split(r"[\n\r\t·|•:;()\[\]{}«»\"“”]+|(?<=[.!?])\s|\s/\s", text):
        run = run.strip()
        if not run or VIETNAMESE.search(run):
            continue
        words = [w.lower() for w in WORD.findall(run)]
        words = [w for w in words if w not in ALLOWED]
        english = {w for w in words if w in ENGLISH}
        if len(english) >= 2 or (len(words) >= 3 and len(english) >= 1 and len(english) * 3 >= len(words)):
            found.append(run)
    return found


def visible_text(html):
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "template"]):
        tag.decompose()
    for tag in soup.select('[lang="en"], .lang'):        # the language switch names English
        tag.decompose()
    texts = [soup.get_text("\n")]
    for tag in soup.find_all(True):
        for attr in ("placeholder", "title", "aria-label", "alt"):
            if tag.get(attr):
                texts.append(str(tag[attr]))
        if tag.name in ("input", "button") and tag.get("type") in ("submit", "button") and tag.get("value"):
            texts.append(str(tag["value"]))
    return "\n".join(texts)


def assert_vietnamese(response, where):
    if response.content_type == "application/json":
        body = response.json
        texts = [str(body.get("message", ""))] + [str(v) for v in (body.get("errors") or {}).values()]
        text = "\n".join(texts)
    elif response.content_type == "text/html":
        text = visible_text(response.text)
    else:
        return
    bad = english_runs(text)
    assert not bad, f"{where}: English in the Vietnamese UI: {bad[:5]}"


def test_the_detector_tells_english_from_vietnamese():
    assert english_runs("the signature covers the whole file")
    assert english_runs("Không đọc được / cannot read the file")
    assert english_runs("not found")
    assert not english_runs("Không tìm thấy trang này.")
    assert not english_runs("PAdES B-T · hợp lệ")
    assert not english_runs("000.15.16.H10-261201-0001")
    assert not english_runs("Nguyễn Thị Hoà (Kho Dev CA)")


@pytest.fixture
def walk(testapp):
    """get/post in Vietnamese that checks each answer and returns it."""
    testapp.set_cookie("_LOCALE_", "vi")

    def _check(method, url, where=None, **kwargs):
        kwargs.setdefault("expect_errors", True)
        response = getattr(testapp, method)(url, **kwargs)
        assert response.status_int < 500, f"{url}: {response.status}"
        assert_vietnamese(response, where or f"{method.upper()} {url}")
        return response
    return _check


def test_pages_for_anyone_and_their_errors_are_vietnamese(walk, settings):
    walk("get", "/login")
    walk("get", "/verify")
    page = walk("get", "/verify")
    token = csrf_from(page)
    walk("post", "/verify", params={"csrf_token": token},
         upload_files=[("file", "x.pdf", pdf_bytes(1))])           # no signature
    walk("post", "/verify", params={"csrf_token": token},
         upload_files=[("file", "x.png", b"\x89PNG\r\n\x1a\n....")])  # not a PDF
    import signing
    pki = settings["kho.pki_dir"]
    with open(f"{pki}/passphrase.txt") as f:
        passphrase = f.read().strip()
    for who in ("officer", "untrusted"):
        signer = signing.load_p12_signer(f"{pki}/{who}.p12", passphrase)
        data = signing.sign_pdf(pdf_bytes(1), signer, "digitized")
        walk("post", "/verify", params={"csrf_token": token}, upload_files=[("file", "s.pdf", data)])
        changed = bytearray(data)
        changed[len(changed) // 3] ^= 1
        walk("post", "/verify", params={"csrf_token": token},
             upload_files=[("file", "s.pdf", bytes(changed))])
    walk("get", "/no-such-page")
    walk("post", "/login", params={"username": "x", "password": "y"})            # no CSRF token
    walk("post", "/login", params={"username": "x", "password": "y", "csrf_token": token})


def test_api_errors_are_vietnamese(walk, testapp, token_for):
    walk("get", "/api/v1/subjects/")                                 # 401
    walk("get", f"/api/v1/subjects/{OWNER}/documents")
    walk("post", "/api/v1/tokens", params="{", content_type="application/json")
    walk("post", "/api/v1/tokens", params='{"username": "x", "password": "y"}',
         content_type="application/json")
    headers = token_for("congdan2")
    walk("get", f"/api/v1/subjects/{OWNER}/", headers=headers)            # 404 for a citizen
    headers = token_for("canbo")
    walk("get", "/api/v1/subjects/000000000000/", headers=headers)
    walk("post", f"/api/v1/subjects/{OWNER}/documents", params={"type_code": "NOPE"},
         upload_files=[("file", "x.txt", b"hello")], headers=headers)
    walk("get", "/api/v1/no-such-thing", headers=headers)
    walk("post", "/api/v1/verify", upload_files=[("file", "z.txt", b"hello")])
    walk("get", "/api/v1/verify/KHONGCO0000")                         # a printed paper's code: unknown
    walk("get", "/verify/KHONGCO0000")
    walk("get", "/api/v1/search?q=%ff", headers=headers)
    walk("get", "/api/v1/catalogues/doctypes", headers=headers)
    walk("post", "/api/v1/catalogues/doctypes", params="[]", content_type="application/json",
         headers=token_for("quantri"))


@pytest.mark.slow
def test_every_page_of_the_digitizing_cycle_is_vietnamese(walk, as_user, wsgi_app, settings,
                                                          dossier_code):
    app = as_user("canbo")
    app.set_cookie("_LOCALE_", "vi")
    for url in ("/", "/desk", "/dossiers/", f"/dossiers/{dossier_code}/", f"/subjects/{OWNER}/",
                f"/subjects/{OWNER}/upload", f"/subjects/{OWNER}/consents/", "/search"):
        walk("get", url)
    form = walk("get", f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("x.txt", b"hello", "text/plain")
    form["type_code"] = "GKS"
    assert_vietnamese(form.submit(expect_errors=True), "upload of a text file")
    page = upload_scan(app, dossier_code)
    assert_vietnamese(page, "the paper's page while OCR runs")
    run_worker(wsgi_app, settings)
    page = walk("get", page.request.path)
    review = page.forms["review-open-form"].submit().follow()
    assert_vietnamese(review, "the review page")
    form = review.forms["review-form"]
    form["issue_date"] = "31/02/2022"
    assert_vietnamese(form.submit(expect_errors=True), "the review with a wrong date")
    form = walk("get", review.request.path).forms["review-form"]
    done = form.submit().follow()
    assert_vietnamese(done, "the signed paper's page")
    walk("get", f"/subjects/{OWNER}/")
    walk("get", page.request.path + "review")
    walk("get", "/dossiers/000.15.16.H10-000101-9999/")
    walk("post", f"/dossiers/{dossier_code}/", params={"nothing": "1"})


def test_a_citizens_pages_are_vietnamese(walk, as_user, dossier_code):
    app = as_user("congdan")
    app.set_cookie("_LOCALE_", "vi")
    for url in ("/", f"/subjects/{OWNER}/", f"/subjects/{OWNER}/consents/", "/dossiers/",
                f"/dossiers/{dossier_code}/", "/search", "/verify"):
        walk("get", url)
    walk("get", "/subjects/001090012346/")                    # not theirs: the not-found page
    walk("get", f"/subjects/{OWNER}/upload")                  # not allowed


def test_desk_pages_with_a_person_are_vietnamese(walk, as_user):
    as_user("canbo").set_cookie("_LOCALE_", "vi")
    walk("get", f"/desk?id={OWNER}")
    walk("get", "/desk?id=123")                               # a wrong id: the form says why
