"""The pages of the reuse cycle, through WebTest over the reuse world
(tests/reuse_world.py): the desk, dossiers, the confirmation page that faces
the citizen, consents, the warehouse and the upload form."""
import re

import pytest
import transaction
import webtest

from repository.audit import audit_log
from repository.db import app_root
from repository.reception import offer_reuse

from ..conftest import csrf_from, login
from ..files import pdf_bytes

QR = "001090012345|123456789|Nguyễn Văn Anh|12051991|Nam|Hà Nội|01012021"
NEW_QR = "079203000001|987654321|Lê Văn Bình|05042003|Nam|Lào Cai|01012022"


@pytest.fixture
def client(reuse_app):
    """A new browser on the reuse world: client(username) logs in (None: anonymous)."""
    def _client(username=None):
        app = webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})
        if username:
            login(app, username)
        return app
    return _client


@pytest.fixture
def reuse_root(reuse_open_root):
    return reuse_open_root


def last_transactions(app):
    dbs = app.registry._zodb_databases[""].databases
    return {name: db.storage.lastTransaction() for name, db in dbs.items()}


def offer_both(root, world, minutes=15):
    """canbo2 offers the ID card and the birth certificate for the second dossier."""
    dossier = root.dossiers[world.second]
    return offer_reuse(root, dossier, root.accounts.users["canbo2"], [
        {"component": "tuy_than", "document": world.id_card},
        {"component": "giay_khai_sinh", "document": world.birth}], minutes=minutes)


def committed_offer(reuse_app, world, minutes=15):
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    with tm:
        reuse, token = offer_both(app_root(conn), world, minutes)
        request_id = reuse.id
    conn.close()
    return request_id, token


# --- the desk ------------------------------------------------------------------

def test_desk_opens_a_person_by_typed_id_with_their_dossiers(client, world):
    app = client("canbo2")
    page = app.get("/desk", {"id": world.owner})
    assert "Nguyễn Văn An" in page.text and "Tiếp nhận hồ sơ mới" in page.text
    assert f"/dossiers/{world.second}/" in page.text       # open here, handled by canbo2's unit
    assert world.first not in page.text                    # resolved, and another unit's
    assert page.forms["receive-form"]["applicant_id"].value == world.owner
    assert "Mở kho dữ liệu" in page.text


def test_the_qr_text_is_never_accepted_by_get(client, world, reuse_app):
    app = client("canbo2")
    before = last_transactions(reuse_app)
    page = app.get("/desk", {"id": QR}, status=400)
    assert "Không gửi nội dung mã QR" in page.text
    assert "Nguyễn Văn Anh" not in page.text and "Hà Nội" not in page.text
    assert last_transactions(reuse_app) == before
    assert 'method="post" action="/desk/identify"' in app.get("/desk").text


def test_posted_qr_shows_mismatches_and_fills_a_new_warehouse(client, world):
    app = client("canbo2")
    token = csrf_from(app.get("/desk"))
    page = app.post("/desk/identify", {"id": QR, "csrf_token": token})
    alert = page.html.find(id="mismatches").get_text()
    assert "Nguyễn Văn Anh" in alert and "12/05/1991" in alert and "Năm sinh 1991" in alert
    assert "Year of birth" not in alert                     # Vietnamese part only
    assert "|" not in page.forms["open-form"]["id"].value   # the QR text is not echoed back
    new = app.post("/desk/identify", {"id": NEW_QR, "csrf_token": token})
    form = new.forms["create-form"]
    assert form["name"].value == "Lê Văn Bình"
    assert form["birth_date"].value == "05/04/2003" and form["sex"].value == "male"      # dd/mm/yyyy
    assert "mismatches" not in new.text
    created = form.submit().follow()
    assert "Lê Văn Bình" in created.text and "Tiếp nhận hồ sơ mới" in created.text


def test_bad_id_and_bad_qr_get_a_vietnamese_message(client):
    app = client("canbo")
    token = csrf_from(app.get("/desk"))
    assert "12 chữ số" in app.get("/desk", {"id": "12345"}, status=400).text
    bad = app.post("/desk/identify", {"id": "001090012345|x|y", "csrf_token": token}, status=400)
    assert "7 trường" in bad.text


def test_receiving_a_dossier_at_the_desk(client, world, reuse_app, reuse_root):
    app = client("canbo2")
    form = app.get("/desk", {"id": world.owner}).forms["receive-form"]
    before = last_transactions(reuse_app)
    form["procedure_code"] = "1.000894"                  # a marriage: needs a second person
    refused = form.submit(status=400)
    assert "cần người thứ hai" in refused.text
    assert last_transactions(reuse_app) == before
    form = refused.forms["receive-form"]
    form["procedure_code"] = "2.001417"
    form["other_id"] = "12345"
    refused = form.submit(status=400)
    assert "Thủ tục này chỉ liên quan" in refused.text or "12 chữ số" in refused.text
    assert last_transactions(reuse_app) == before
    form = refused.forms["receive-form"]
    form["other_id"] = ""
    response = form.submit()
    assert response.status_int == 302 and "/dossiers/000.16.16.H10-" in response.location
    page = response.follow()
    assert "Đã tiếp nhận hồ sơ" in page.text and "Cấp Phiếu lý lịch tư pháp" in page.text
    code = page.html.find("span", class_="code").get_text()
    assert reuse_root().dossiers[code].received_by == "canbo2"


def test_only_reception_may_receive(client, world):
    app = client("xuly")
    page = app.get("/desk", {"id": world.owner})
    assert "receive-form" not in page.text
    app.post("/desk/receive", {"procedure_code": "2.001417", "applicant_id": world.owner,
                               "csrf_token": csrf_from(page)}, status=403)


# --- dossiers --------------------------------------------------------------------

def test_dossier_list_per_role(client, world):
    assert world.second in client("canbo2").get("/dossiers/").text
    mine = client("congdan").get("/dossiers")
    assert "Hồ sơ của tôi" in mine.text and world.first in mine.text and world.second in mine.text
    commune = client("xuly2").get("/dossiers/").text
    assert world.first in commune and world.second not in commune
    assert "Chưa có hồ sơ nào" in client("congdan2").get("/dossiers/").text
    client("kiemtoan").get("/dossiers/", status=403)


def test_dossier_page_for_the_desk_in_vietnamese_and_english(client, world):
    app = client("canbo2")
    page = app.get(f"/dossiers/{world.second}/")
    text = page.text
    assert "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam" in text
    assert "Đã tiếp nhận" in text and "Bộ phận Một cửa UBND huyện Bát Xát" in text
    assert "Sở Tư pháp tỉnh Lào Cai" in text and "Gửi công dân xem trước" in text
    assert re.search(r"\d\d:\d\d, ngày \d\d/\d\d/\d{4}", text)       # Vietnam time, dd/mm/yyyy
    assert page.html.find(id="receipt-link")["href"].endswith(f"/api/v1/dossiers/{world.second}/receipt")
    boxes = page.html.select("#offer-form input[name=item]")
    assert {b["value"] for b in boxes} == {f"tuy_than:{world.id_card}", f"giay_khai_sinh:{world.birth}"}
    assert not any(b.has_attr("checked") for b in boxes)
    english = app.get(f"/dossiers/{world.second}/", {"_LOCALE_": "en"}).text
    assert "Send to the citizen for preview" in english and "Received" in english
    assert "Reusable" in english and "Dossier received" in english
    switched = app.get("/lang/en", {"came_from": f"/dossiers/{world.second}/"}).follow()
    assert "Components" in switched.text


def test_the_person_sees_the_dossier_without_staff_controls(client, world):
    page = client("congdan").get(f"/dossiers/{world.second}/")
    assert "Cấp Phiếu lý lịch tư pháp" in page.text
    assert "offer-form" not in page.text and "resolve-form" not in page.text
    assert "withdraw-form" in page.text                  # a person may withdraw
    client("congdan2").get(f"/dossiers/{world.second}/", status=404)     # not theirs: not found
    client("xuly").get(f"/dossiers/{world.second}/", status=403)   # a third unit


def test_offer_with_nothing_ticked_is_400_and_writes_nothing(client, world, reuse_app, reuse_root):
    app = client("canbo2")
    page = app.get(f"/dossiers/{world.second}/")
    before = last_transactions(reuse_app)
    refused = page.forms["offer-form"].submit(status=400)
    assert "Hãy chọn ít nhất một giấy tờ" in refused.text
    assert last_transactions(reuse_app) == before
    assert len(reuse_root().dossiers[world.second].reuse_requests) == 0


def test_preview_and_confirm_at_the_desk(client, world, reuse_root):
    officer = client("canbo2")
    form = officer.get(f"/dossiers/{world.second}/").forms["offer-form"]
    for box in form.fields["item"]:
        box.checked = True
    page = form.submit().follow()
    assert "Đã gửi để công dân xem trước" in page.text
    handoff = page.html.select_one(".handoff")
    assert handoff.find("svg") is not None
    link = handoff.select_one("a.confirm-link")["href"]
    assert "/confirm/" in link

    citizen = client()                                   # the screen facing the citizen: no log-in
    path = link.split("localhost", 1)[1]
    confirm = citizen.get(path)
    assert confirm.headers["Cache-Control"] == "no-store"
    assert "script-src" not in confirm.headers["Content-Security-Policy"] and \
        "default-src 'none'" in confirm.headers["Content-Security-Policy"]
    assert "<script" not in confirm.text and "Đăng xuất" not in confirm.text
    assert world.second in confirm.text and "Cấp Phiếu lý lịch tư pháp" in confirm.text
    assert "12/2020" in confirm.text and "02/03/2020" in confirm.text and "Nguyễn Thị Hoà" in confirm.text
    assert "hết hạn lúc" in confirm.text
    images = [img["src"] for img in confirm.html.select(".paper-preview img")]
    assert len(images) == 2
    png = citizen.get(images[0].split("localhost", 1)[1])
    assert png.content_type == "image/png" and png.body.startswith(b"\x89PNG")
    entries = [e for e in audit_log(reuse_root()._p_jar) if e["action"] == "read_content"]
    assert entries[-1]["purpose"] == f"reuse_preview:{world.second}"
    assert entries[-1]["subject"] == world.owner
    citizen.get(path.replace("/confirm/", "/confirm/") + f"/preview/{world.first}/1", status=404)

    done = confirm.forms["answer-form"].submit("answer", value="accept").follow()
    assert "Cảm ơn bạn đã đồng ý" in done.text and "Giấy khai sinh" not in done.text
    citizen.get(images[0].split("localhost", 1)[1], status=410)   # no preview once answered
    dossier = officer.get(f"/dossiers/{world.second}/")
    assert dossier.text.count("Tái sử dụng từ kho") == 2
    assert "Công dân đã đồng ý" in dossier.text and "confirm-link" not in dossier.text


def test_unknown_and_expired_links_show_nothing(client, world, reuse_app):
    anonymous = client()
    unknown = anonymous.get("/confirm/not-a-token", status=404)
    assert "Liên kết xác nhận này không còn dùng được" in unknown.text
    _, token = committed_offer(reuse_app, world, minutes=-1)
    expired = anonymous.get(f"/confirm/{token}", status=410)
    assert "Liên kết xác nhận này không còn dùng được" in expired.text
    assert world.second not in expired.text and "Giấy khai sinh" not in expired.text
    anonymous.get(f"/confirm/{token}/preview/{world.birth}/1", status=410)
    english = anonymous.get(f"/confirm/{token}", {"_LOCALE_": "en"}, status=410)
    assert "This confirmation link cannot be used" in english.text


def test_confirmation_page_in_english_and_a_bad_answer(client, world, reuse_app, reuse_root):
    _, token = committed_offer(reuse_app, world)
    anonymous = client()
    page = anonymous.get(f"/confirm/{token}", {"_LOCALE_": "en"})
    assert "Confirm the reuse of your papers" in page.text and "Agree" in page.text
    before = last_transactions(reuse_app)
    bad = anonymous.post(f"/confirm/{token}", {"answer": "maybe", "csrf_token": csrf_from(page)}, status=400)
    assert "Hãy chọn Đồng ý hoặc Từ chối" in bad.text
    assert last_transactions(reuse_app) == before
    anonymous.post(f"/confirm/{token}", {"answer": "accept"}, status=400)    # no CSRF token


def test_citizen_answers_online(client, world, reuse_app, reuse_root):
    committed_offer(reuse_app, world)
    app = client("congdan")
    page = app.get(f"/dossiers/{world.second}/")
    assert "Bộ phận tiếp nhận đề nghị tái sử dụng giấy tờ của bạn" in page.text
    form = page.html.select_one("section.ask form")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    refused = app.post(form["action"].split("localhost", 1)[1], dict(data, answer="refuse")).follow()
    assert "Đã ghi nhận việc bạn từ chối" in refused.text
    reuse = next(iter(reuse_root().dossiers[world.second].reuse_requests.values()))
    assert reuse.state == "refused" and reuse.decided_via == "online"
    assert "section class=\"card ask\"" not in refused.text


def test_resolution_by_the_competent_agency(client, world, reuse_root, reuse_app):
    desk = client("canbo")
    form = desk.get("/desk", {"id": world.owner}).forms["receive-form"]
    form["procedure_code"] = "2.000815"                 # the commune resolves it (xuly2)
    code = form.submit().location.rstrip("/").rsplit("/", 1)[1]
    processor = client("xuly2")
    page = processor.get(f"/dossiers/{code}/")
    assert "resolve-form" in page.text and "offer-form" not in page.text
    before = last_transactions(reuse_app)
    refused = page.forms["resolve-form"].submit("decision", value="reject", status=400)
    assert "Từ chối cần nêu lý do" in refused.text
    assert last_transactions(reuse_app) == before
    started = processor.post(f"/dossiers/{code}/transition", {"action": "start",
                                                              "csrf_token": csrf_from(page)}).follow()
    assert "Đang xử lý" in started.text
    form = started.forms["resolve-form"]
    form["reason"] = "Không đủ điều kiện"
    done = form.submit("decision", value="reject").follow()
    assert "Đã giải quyết: Từ chối" in done.text and "Không đủ điều kiện" in done.text
    assert reuse_root().dossiers[code].outcome == "rejected"
    again = processor.post(f"/dossiers/{code}/resolve", {"decision": "approve",
                                                         "csrf_token": csrf_from(done)}).follow()
    assert "chưa giải quyết được" in again.text                # a conflict, as a message
    desk.post(f"/dossiers/{code}/resolve", {"decision": "approve", "csrf_token": csrf_from(page)},
              status=403)


def test_attach_a_paper_digitized_for_the_dossier(client, world, reuse_root):
    app = client("canbo2")
    upload = app.get(f"/subjects/{world.owner}/upload", {"dossier_code": world.second, "type_code": "CCCD"})
    form = upload.forms["upload-form"]
    assert form["dossier_code"].value == world.second and form["type_code"].value == "CCCD"
    form["file"] = ("cccd.pdf", pdf_bytes(text="CĂN CƯỚC"), "application/pdf")
    form = form.submit(status=400).forms["upload-form"]     # a 75 dpi scan: the officer accepts it
    form["file"] = ("cccd.pdf", pdf_bytes(text="CĂN CƯỚC"), "application/pdf")
    form["accept_quality"] = True
    form.submit().follow()
    root = reuse_root()
    new = [d for d in root.subjects[world.owner].documents.values() if d.dossier_code == world.second]
    assert len(new) == 1 and new[0].procedure_code == "2.001417"
    page = app.get(f"/dossiers/{world.second}/")
    button = page.html.select_one(f"button[name=attach][value='tuy_than:{new[0].__name__}']")
    assert button is not None
    attached = app.post(button["formaction"].split("localhost", 1)[1],
                        {"attach": button["value"], "csrf_token": csrf_from(page)}).follow()
    assert "Số hoá cho hồ sơ này" in attached.text and "Đã đính kèm" in attached.text


# --- consents --------------------------------------------------------------------

def test_my_consents_notice_and_nothing_pre_ticked(client, world):
    app = client("congdan")
    warehouse = app.get(f"/subjects/{world.owner}/")
    assert "Sự đồng ý của tôi" in warehouse.text
    assert warehouse.text.count("Tái sử dụng được") == 2
    page = warehouse.click(linkid="consents-link")
    assert "Thông báo về việc xử lý dữ liệu cá nhân" in page.text and "TB-2026-01" in page.text
    assert "Im lặng" in page.text or "Không trả lời không có nghĩa là đồng ý" in page.text
    grant = page.html.find(id="grant-form")
    assert not grant.select("input[checked]")
    assert "agreed" not in str(grant)                         # online: no witness tick
    assert "Giấy tờ: Thẻ căn cước / căn cước công dân — Số 12/2020" in page.text
    assert "Mọi giấy tờ loại Giấy khai sinh" in page.text
    assert page.html.select(f"#consent-{world.consent_online} a[href$='/receipt/grant']")
    english = app.get(f"/subjects/{world.owner}/consents/", {"_LOCALE_": "en"}).text
    assert "Notice on the processing of personal data" in english and "Silence is never consent" in english
    assert "Every paper of the type Giấy khai sinh" in english


def test_grant_with_no_purpose_is_400_and_writes_nothing(client, world, reuse_app, reuse_root):
    app = client("congdan")
    form = app.get(f"/subjects/{world.owner}/consents/").forms["grant-form"]
    form["target"] = "doctype:HC"
    form["notice_version"] = True
    before = last_transactions(reuse_app)
    refused = form.submit(status=400)
    assert "Hãy chọn ít nhất một mục đích" in refused.text
    assert last_transactions(reuse_app) == before
    form = refused.forms["grant-form"]
    form.get("purposes", index=2).checked = True            # share, without a recipient
    refused = form.submit(status=400)
    assert "Chia sẻ cần nêu cơ quan nhận" in refused.text
    form = refused.forms["grant-form"]
    form["recipients"] = "Sở Tư pháp tỉnh Lào Cai"
    granted = form.submit().follow()
    assert "Đã ghi nhận sự đồng ý: Mọi giấy tờ loại Hộ chiếu" in granted.text
    assert len(reuse_root().subjects[world.owner].consents) == 3


def test_desk_grant_needs_the_persons_agreement(client, world, reuse_app):
    app = client("canbo2")                  # the desk with the person's open dossier
    page = app.get(f"/subjects/{world.owner}/consents/")
    form = page.forms["grant-form"]
    form["target"] = "doctype:HC"
    form.get("purposes", index=0).checked = True
    form["notice_version"] = True
    before = last_transactions(reuse_app)
    refused = form.submit(status=400)
    assert "Cần công dân trực tiếp đồng ý" in refused.text
    assert last_transactions(reuse_app) == before
    form = refused.forms["grant-form"]
    form["agreed"] = True
    assert "Đã ghi nhận sự đồng ý" in form.submit().follow().text
    viewer = client("xuly")
    seen = viewer.get(f"/subjects/{world.owner}/consents/")
    assert "grant-form" not in seen.text and "Thông báo về việc xử lý" in seen.text
    viewer.post(f"/subjects/{world.owner}/consents/grant", {"target": "doctype:HC", "purposes": "keep",
                                                            "csrf_token": csrf_from(seen)}, status=403)


def test_withdraw_shows_the_consequences_and_stops_offers(client, world, reuse_root):
    app = client("congdan")
    page = app.get(f"/subjects/{world.owner}/consents/")
    card = page.html.find(id=f"consent-{world.consent_online}")
    assert "Ở thủ tục sau, bạn có thể phải nộp lại giấy tờ" in card.get_text()
    form = card.select_one("form.withdraw-form")
    done = app.post(form["action"].split("localhost", 1)[1], {"csrf_token": csrf_from(page)}).follow()
    assert "Đã rút lại sự đồng ý." in done.text and "Những lần sử dụng trước đó vẫn hợp pháp" in done.text
    assert "đã rút lại" in done.html.find(id=f"consent-{world.consent_online}").get_text()
    receipt = app.get(f"/subjects/{world.owner}/consents/{world.consent_online}/receipt/withdrawal")
    assert receipt.content_type == "application/pdf" and receipt.body.startswith(b"%PDF")
    assert receipt.headers["Cache-Control"] == "no-store"
    app.get(f"/subjects/{world.owner}/consents/{world.consent_online}/receipt/nothing", status=404)
    desk = client("canbo2").get(f"/dossiers/{world.second}/")
    birth = desk.html.find(id="component-giay_khai_sinh")
    assert not birth.select("input[name=item]")
    assert "Chưa có sự đồng ý tái sử dụng" in birth.get_text()


def test_narrow_keeps_the_rest_and_a_desk_narrowing_needs_agreement(client, world, reuse_root):
    desk = client("canbo2")
    page = desk.get(f"/subjects/{world.owner}/consents/")
    form = page.html.find(id=f"consent-{world.consent_desk}").select_one("form.narrow-form")
    url = form["action"].split("localhost", 1)[1]
    refused = desk.post(url, {"purposes": "keep", "csrf_token": csrf_from(page)}, status=400)
    assert "Cần công dân trực tiếp đồng ý" in refused.text
    assert reuse_root().subjects[world.owner].consents[world.consent_desk].purposes == ("keep", "reuse")
    done = desk.post(url, {"purposes": "keep", "agreed": "yes", "csrf_token": csrf_from(page)}).follow()
    assert "Đã thu hẹp sự đồng ý" in done.text
    assert reuse_root().subjects[world.owner].consents[world.consent_desk].purposes == ("keep",)


# --- warehouse and upload ----------------------------------------------------------

def test_upload_picks_the_dossier_from_open_ones(client, world):
    select = client("canbo2").get(f"/subjects/{world.owner}/upload").html.find(id="dossier-select")
    assert [o["value"] for o in select.find_all("option")] == ["", world.second]
    other = client("canbo").get(f"/subjects/{world.owner}/upload").html.find(id="dossier-select")
    assert [o["value"] for o in other.find_all("option")] == [""]      # the first is resolved
    english = client("canbo").get(f"/subjects/{world.owner}/upload", {"_LOCALE_": "en"}).text
    assert "No dossier (records work)" in english


def test_upload_for_another_units_dossier_is_refused(client, world, reuse_app):
    app = client("canbo")
    form = app.get(f"/subjects/{world.owner}/upload").forms["upload-form"]
    form["file"] = ("gks.pdf", pdf_bytes(), "application/pdf")
    form["type_code"] = "GKS"
    form["dossier_code"].force_value(world.second)
    before = last_transactions(reuse_app)
    refused = form.submit(status=400)
    assert "Đơn vị của bạn không xử lý hồ sơ này" in refused.text
    assert last_transactions(reuse_app) == before


@pytest.mark.parametrize("username, path, vietnamese, english", [
    ("canbo2", "/desk?id={owner}", "Tiếp nhận hồ sơ mới", "Receive a new dossier"),
    ("canbo2", "/dossiers/", "Ngày hẹn trả kết quả", "Due date"),
    ("congdan", "/dossiers/", "Hồ sơ của tôi", "My dossiers"),
    ("congdan", "/dossiers/{second}/", "Thành phần hồ sơ", "Components"),
    ("xuly2", "/dossiers/{first}/", "Giải quyết: chấp thuận", "Resolved: approved"),
    ("congdan", "/subjects/{owner}/", "Tái sử dụng được", "Reusable"),
    ("canbo", "/subjects/{owner}/consents/", "Người dân đã trực tiếp đồng ý", "The person agreed in person"),
    ("canbo2", "/subjects/{owner}/upload", "Thuộc hồ sơ", "For the dossier"),
])
def test_each_page_in_vietnamese_and_english(client, world, username, path, vietnamese, english):
    app = client(username)
    path = path.format(owner=world.owner, first=world.first, second=world.second)
    assert vietnamese in app.get(path).text
    app.get("/lang/en", {"came_from": path})
    assert english in app.get(path).text and vietnamese not in app.get(path).text
