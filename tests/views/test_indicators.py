"""The service-quality dashboard, its API and CSV, through WebTest over the
reuse world: after the reuse cycle (the Bát Xát desk offers the two papers,
the citizen agrees on the screen facing them) the dashboard's reuse rate is
the test's own count of components satisfied from the warehouse ÷ all
components; the citizen's access log lists every use; who sees what."""
import csv
import datetime
import io

import pytest
import webtest

import views.api.indicators  # noqa: F401  (adds its paths to the OpenAPI document)
from repository.calendar import VN

from ..conftest import login
from .openapi_check import validate
from .test_language import assert_vietnamese
from ..component_count import own_components

PROVINCE, COMMUNE, BATXAT = "000.00.00.H10", "000.15.16.H10", "000.16.16.H10"


@pytest.fixture
def client(reuse_app):
    def _client(username=None, locale=None):
        app = webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})
        if username:
            login(app, username)
        if locale:
            app.get(f"/lang/{locale}")
        return app
    return _client


def year():
    return str(datetime.datetime.now(VN).year)


def reuse_through_the_pages(client, world):
    officer = client("canbo2")
    form = officer.get(f"/dossiers/{world.second}/").forms["offer-form"]
    for box in form.fields["item"]:
        box.checked = True
    page = form.submit().follow()
    link = page.html.select_one(".handoff a.confirm-link")["href"]
    citizen = client()
    confirm = citizen.get(link.split("localhost", 1)[1])
    confirm.forms["answer-form"].submit("answer", value="accept").follow()


def test_the_dashboard_s_reuse_rate_is_the_test_s_own_count(client, world, reuse_open_root):
    reuse_through_the_pages(client, world)
    reused, total = own_components(reuse_open_root(), [
        (world.first, "giay_to_tuy_than", False), (world.first, "giay_khai_sinh", False),
        (world.second, "tuy_than", True), (world.second, "giay_khai_sinh", True)])
    assert (reused, total) == (2, 4)
    leader = client("luutru")
    page = leader.get("/indicators", {"level": "province", "period": "year", "from": year(), "to": year()})
    card = page.html.select_one("#card-reuse")
    assert card.select_one(".ind-equation").text == f"Tỷ lệ tái sử dụng = {reused} ÷ {total} = 50,0 %"
    assert card.select_one(".ind-value").text == "50,0 %"
    assert card.select_one(".ind-formula").text == "Công thức: thành phần lấy từ kho dữ liệu ÷ thành phần hồ sơ × 100 %"
    assert card.select_one(".ind-definition").text.startswith(
        "Thành phần hồ sơ: mọi thành phần bắt buộc của thủ tục (kể cả thành phần chưa nộp)")
    assert page.html.select_one("#card-online .ind-definition") is None
    assert page.html.select_one("h1").text == "Chỉ số chất lượng phục vụ"
    assert page.html.select_one("#card-online .ind-equation").text.endswith("= 0 ÷ 2 = 0,0 %")
    # the month's figures per desk: the commune scanned both papers, Bát Xát reused both
    month = datetime.datetime.now(VN).strftime("%Y-%m")
    desks = leader.get("/indicators").html
    cells = {row["data-unit"]: row.select_one('td[data-indicator="reuse"]').text
             for row in desks.select("#indicator-table tr[data-unit]") if row["data-period"] == month}
    assert cells[COMMUNE].startswith("0,0 %") and cells[BATXAT].startswith("100,0 %")
    assert "2 ÷ 2" in cells[BATXAT]
    api = validate(leader.get("/api/v1/indicators", {"level": "province", "period": "year"})).json
    row = api["rows"][0]
    assert (row["unit"], row["period"]) == (PROVINCE, year())
    assert row["figures"]["reuse"] == {"value": 50.0, "numerator": reused, "denominator": total}
    assert api["overall"]["figures"]["reuse"]["numerator"] == reused


def test_english_numbers_and_the_charts_data(client, world):
    page = client("kiemtoan", locale="en").get("/indicators", {"level": "agency"})
    # the commune's two scanned components, Bát Xát's missing ID card
    assert page.html.select_one("#card-reuse .ind-equation").text == "Reuse rate = 0 ÷ 3 = 0.0%"
    assert page.html.select_one("#card-reuse .ind-formula").text == (
        "Formula: components satisfied from the warehouse ÷ components × 100%")
    assert page.html.select_one("#card-reuse .ind-definition").text.startswith(
        "Components: every required component of the procedure (supplied or not)")
    assert "Service-quality indicators" in page.text
    data = page.html.select_one("#indicator-data").text
    assert '"trend"' in data and '"compare"' in data and "<" not in data
    assert page.html.select_one('script[src*="indicators.js"]') is not None


def test_staff_see_their_own_unit_only_and_citizens_nothing(client, world):
    canbo2 = client("canbo2")
    page = canbo2.get("/indicators")
    units = {row["data-unit"] for row in page.html.select("#indicator-table tr[data-unit]")}
    assert units == {BATXAT}
    assert [o["value"] for o in page.html.select("#f-level option")] == ["desk", "agency"]
    canbo2.get("/indicators", {"unit": COMMUNE}, status=403)
    canbo2.get("/indicators", {"level": "province"}, status=403)
    client("congdan").get("/indicators", status=403)
    assert client().get("/indicators", status=302).location.endswith("/login?came_from=/indicators")
    xuly2 = client("xuly2").get("/api/v1/indicators", {"level": "agency"}).json
    assert {r["unit"] for r in xuly2["rows"]} == {COMMUNE}


def test_bad_filters_are_a_400_with_the_fields(client, world):
    api = client("quantri")
    bad = validate(api.get("/api/v1/indicators", {"level": "town", "period": "month", "from": "2026"},
                           status=400), request=False).json
    assert set(bad["errors"]) == {"level", "from"}
    page = api.get("/indicators", {"period": "week"}, status=400)
    assert "Kỳ là month, quarter hoặc year" in page.text and "period is" not in page.text


def test_csv_export_has_a_header_and_the_rows(client, world):
    leader = client("luutru")
    response = leader.get("/indicators.csv", {"level": "desk", "period": "year"})
    assert response.content_type == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:5] == ["level", "unit", "unit_name", "period", "received"]
    commune = next(r for r in rows if r["unit"] == COMMUNE)
    assert commune["unit_name"] == "Bộ phận Một cửa UBND phường Cốc Lếu"
    assert (commune["received"], commune["components"], commune["reuse_percent"]) == ("1", "2", "0.0")
    assert commune["on_time_percent"] == "100.0" and commune["e_result_percent"] == "0.0"
    batxat = next(r for r in rows if r["unit"] == BATXAT)
    assert (batxat["components"], batxat["reuse_percent"]) == ("1", "0.0")   # its ID card still missing
    api = leader.get("/api/v1/indicators.csv", {"level": "desk", "period": "year"})
    assert api.body == response.body
    link = leader.get("/indicators", {"level": "agency"}).html.select_one("#csv-export")["href"]
    assert link == "/indicators.csv?level=agency"


def test_the_dashboard_and_its_refusals_are_vietnamese(client, world):
    leader = client("luutru")
    assert_vietnamese(leader.get("/indicators", {"level": "province", "period": "quarter"}), "the dashboard")
    assert_vietnamese(leader.get("/indicators", {"period": "week"}, status=400), "a bad filter")
    assert_vietnamese(client("congdan").get("/indicators", status=403), "a citizen refused")
    assert_vietnamese(client("canbo2").get("/indicators", {"level": "province"}, status=403), "staff refused")


def token(app, username):
    response = app.post_json("/api/v1/tokens", {"username": username, "password": "matkhau-demo"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def content(app, owner, paper, purpose, headers):
    """A staff member's read of a paper's file for a dossier (the API, with its purpose)."""
    app.get(f"/api/v1/subjects/{owner}/documents/{paper}/content", {"purpose": purpose}, headers=headers)


@pytest.mark.slow  # the whole loop through the API (~4 s)
def test_the_loop_closed_the_result_reused_and_counted(client, world, reuse_app, reuse_open_root):
    """The reuse cycle closed: canbo2 reuses the two papers for the second
    dossier (the citizen agrees on the screen facing them) and reads one;
    the first dossier's result is issued and filed; canbo reuses it with
    the ID card in a marriage registration and reads it, xuly2 reads the ID
    card for it. The dashboard's reuse rate is the test's own count of
    components, and the citizen's access log (API and page, after the
    sealer ran) lists every one of those uses with its dossier."""
    from repository.audit import audit_pending, seal_db
    did = []                       # (actor, action, paper, dossier): every use of the owner's papers
    reuse_through_the_pages(client, world)
    did += [("canbo2", "read_metadata", None, world.second)] * 2   # the dossier page, before and after
    did += [("canbo2", "reuse", world.id_card, world.second), ("canbo2", "reuse", world.birth, world.second)]
    attached = [(world.first, "giay_to_tuy_than", False), (world.first, "giay_khai_sinh", False),
                (world.second, "tuy_than", True), (world.second, "giay_khai_sinh", True)]
    app = client()
    xuly2, canbo, canbo2, owner = (token(app, n) for n in ("xuly2", "canbo", "canbo2", "congdan"))
    content(app, world.owner, world.birth, world.second, canbo2)
    did.append(("canbo2", "read_content", world.birth, world.second))
    issued = app.post_json(f"/api/v1/dossiers/{world.first}/result", {}, headers=xuly2, status=201).json
    app.post_json(f"/api/v1/subjects/{world.owner}/consents", {
        "scope": "doctype", "target": "XNTTHN", "purposes": ["keep", "reuse"],
        "notice_version": "TB-2026-01"}, headers=owner, status=201)
    third = app.post_json("/api/v1/dossiers", {"procedure_code": "1.000894", "applicant_id": world.owner,
                                               "others": ["010195004321"]}, headers=canbo, status=201).json
    offer = app.post_json(f"/api/v1/dossiers/{third['code']}/reuse-requests", {"items": [
        {"component": "xac_nhan_hon_nhan_nguoi_nop", "document": issued["id"]},
        {"component": "tuy_than_nguoi_nop", "document": world.id_card}]}, headers=canbo, status=201).json
    path = offer["confirmation"].split("localhost", 1)[1]
    app.post_json(path, {"accept": True})
    did += [("canbo", "reuse", issued["id"], third["code"]), ("canbo", "reuse", world.id_card, third["code"])]
    attached += [(third["code"], "xac_nhan_hon_nhan_nguoi_nop", True), (third["code"], "tuy_than_nguoi_nop", True)]
    content(app, world.owner, issued["id"], third["code"], canbo)
    content(app, world.owner, world.id_card, third["code"], xuly2)
    did += [("canbo", "read_content", issued["id"], third["code"]),
            ("xuly2", "read_content", world.id_card, third["code"])]

    # the dashboard's reuse rate: the test's own count of components
    reused, total = own_components(reuse_open_root(), attached)
    assert (reused, total) == (4, 2 + 2 + 4)      # the marriage's other party's two components missing
    api = validate(client("luutru").get("/api/v1/indicators", {"level": "province", "period": "year"})).json
    figures = api["rows"][0]["figures"]
    assert figures["reuse"] == {"value": 50.0, "numerator": reused, "denominator": total}
    assert figures["e_result"] == {"value": 100.0, "numerator": 1, "denominator": 1}
    page = client("luutru").get("/indicators", {"level": "province", "period": "year"})
    assert page.html.select_one("#card-reuse .ind-equation").text == \
        f"Tỷ lệ tái sử dụng = {reused} ÷ {total} = 50,0 %"
    assert page.html.select_one("#card-e_result .ind-equation").text == \
        "Tỷ lệ trả kết quả điện tử = 1 ÷ 1 = 100,0 %"
    from repository.indicators import differences
    assert differences(reuse_open_root()) == []

    # the citizen's access log, once the sealer has run: every use, with its dossier
    db = reuse_app.registry._zodb_databases[""]
    seal_db(db)
    assert audit_pending(db) == 0
    log = validate(app.get(f"/api/v1/subjects/{world.owner}/access-log", {"limit": 200}, headers=owner)).json
    assert log["total"] == len(log["items"]) and not any(i["pending"] for i in log["items"])
    listed = [(i["actor"], i["action"], i["paper"], i["dossier"]) for i in log["items"]]
    missing = [use for use in did if use not in listed]
    assert not missing, f"not in the access log: {missing}; listed: {listed}"
    cycle = [use for use in listed if use[3] in (world.second, third["code"])]
    assert sorted(cycle, key=repr) == sorted(did, key=repr), "the log lists uses the test did not make"
    reuse = next(i for i in log["items"] if i["action"] == "reuse" and i["dossier"] == world.second)
    assert (reuse["actor_name"], reuse["unit"]) == ("Phạm Văn Long", BATXAT)
    # the page once: the same uses, each row with who and which dossier
    page = client("congdan").get(f"/subjects/{world.owner}/access-log")
    rows = page.html.select("#access-log tbody tr")
    assert len(rows) == min(20, log["total"]) and len(did) <= 20
    for row, item in zip(rows, log["items"]):
        assert row["data-action"] == item["action"]
        assert item["actor_name"] in row.text and item["dossier"] in row.text, row.text
    shown = [(r["data-action"], r.select("td")[3].text) for r in rows]
    for _actor, action, _paper, dossier in did:
        assert any(a == action and dossier in words for a, words in shown), (action, dossier)
