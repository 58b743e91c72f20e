"""'Who used my papers': the owner's access log, page and API, over the
reuse world (the first dossier's papers were read, reused and searched by
staff of two desks)."""
import transaction

from repository.access_log import uses_of
from repository.audit import audit_log, record, seal_db
from repository.db import app_root

from ..conftest import login

OWNER = "001090012345"


def _root(app):
    tm = transaction.TransactionManager()
    conn = app.registry._zodb_databases[""].open(tm)
    return conn, app_root(conn)


def add_uses(app, world, n=0):
    """Reads by canbo2 for the second dossier, a reuse, a search, a read of
    another owner's paper; sealed or not."""
    conn, root = _root(app)
    users = root.accounts.users
    with conn.transaction_manager:
        canbo2, xuly = users["canbo2"], users["xuly"]
        record(root, canbo2, "read_content", subject=OWNER, document=world.birth, purpose=world.second,
               detail={"via": "open"})
        record(root, canbo2, "reuse", subject=OWNER, document=world.id_card, purpose=world.second,
               detail={"component": "tuy_than", "request": "secret-request-id", "via": "online"})
        record(root, xuly, "search_read", subject=OWNER, purpose=world.second,
               detail={"query": "Nguyễn Văn Khác 079203000001", "papers": [world.birth]})
        record(root, canbo2, "read_content", subject="079203000001", document="zzz", purpose="X")
        for i in range(n):
            record(root, canbo2, "read_metadata", subject=OWNER, document=world.id_card,
                   purpose=world.second, detail={"via": "api"})
    conn.close()


def test_uses_of_lists_reads_reuses_and_searches_newest_first(reuse_app, world):
    add_uses(reuse_app, world)
    conn, root = _root(reuse_app)
    before, total_before = uses_of(root, OWNER, limit=100)
    conn.close()
    seal_db(reuse_app.registry._zodb_databases[""])
    conn, root = _root(reuse_app)
    entries, total = uses_of(root, OWNER, limit=100)
    assert total == total_before and [e["time"] for e in entries] == [e["time"] for e in before]
    assert [e["action"] for e in entries[:3]] == ["search_read", "reuse", "read_content"]
    search, reuse, read = entries[:3]
    assert reuse["actor_name"] == root.accounts.users["canbo2"].fullname
    assert reuse["dossier"] == world.second and reuse["channel"] == "online"
    assert reuse["unit"] == "000.16.16.H10" and reuse["unit_name"]
    assert read["papers"][0]["id"] == world.birth and read["papers"][0]["name"]
    assert read["when"].count("/") == 2 and ":" in read["when"]                 # 01/12/2026 14:05
    assert "Nguyễn Văn Khác" not in repr(entries) and "secret-request-id" not in repr(entries)
    assert all(e["action"] != "read_content" or e["purpose"] != "X" for e in entries)
    # by paper
    birth, n = uses_of(root, OWNER, paper=world.birth, limit=100)
    assert n == len(birth) and {e["action"] for e in birth[:2]} == {"search_read", "read_content"}
    assert all(world.birth in [p["id"] for p in e["papers"]] for e in birth)
    # pages: the same as one long list, in slices
    first, _ = uses_of(root, OWNER, offset=0, limit=2)
    second, _ = uses_of(root, OWNER, offset=2, limit=2)
    assert [e["time"] for e in first + second] == [e["time"] for e in entries[:4]]
    conn.close()


def test_a_confirmed_reuse_is_listed_as_the_offering_officer_s_use(reuse_app, world):
    """The owner confirms at the desk, but the use is the desk's: the entry
    names canbo2, the Bát Xát desk and the dossier (repository.reception)."""
    from repository.reception import PersonAtDesk, decide_reuse, offer_reuse
    conn, root = _root(reuse_app)
    with conn.transaction_manager:
        second = root.dossiers[world.second]
        request, _ = offer_reuse(root, second, root.accounts.users["canbo2"], [
            {"component": "tuy_than", "document": world.id_card}])
        decide_reuse(root, second, request, PersonAtDesk(OWNER), True, "desk")
    conn.close()
    seal_db(reuse_app.registry._zodb_databases[""])
    conn, root = _root(reuse_app)
    reuses = [e for e in uses_of(root, OWNER, limit=100)[0] if e["action"] == "reuse"]
    conn.close()
    assert [(e["actor"], e["unit"], e["dossier"], e["paper"], e["channel"], e["pending"]) for e in reuses] == [
        ("canbo2", "000.16.16.H10", world.second, world.id_card, "at the desk", False)]


def test_pending_and_sealed_entries_page_together(reuse_app, world):
    db = reuse_app.registry._zodb_databases[""]
    add_uses(reuse_app, world, n=5)
    seal_db(db)
    add_uses(reuse_app, world, n=5)                      # these stay pending
    conn, root = _root(reuse_app)
    everything, total = uses_of(root, OWNER, limit=1000)
    assert total == len(everything)
    assert any(e["pending"] for e in everything) and not everything[-1]["pending"]
    pages = []
    for offset in range(0, total, 3):
        pages += uses_of(root, OWNER, offset=offset, limit=3)[0]
    assert [(e["time"], e["action"]) for e in pages] == [(e["time"], e["action"]) for e in everything]
    conn.close()


def test_the_owner_sees_the_page_in_vietnamese(reuse_app, reuse_testapp, world):
    add_uses(reuse_app, world)
    testapp = reuse_testapp
    login(testapp, "congdan")
    page = testapp.get(f"/subjects/{OWNER}/access-log")
    assert "Ai đã sử dụng giấy tờ của tôi" in page.text
    assert f"Sử dụng lại cho hồ sơ {world.second}" in page.text
    assert "Xem nội dung" in page.text and "Cán bộ một cửa" in page.text
    assert "Nguyễn Văn Khác" not in page.text
    home = testapp.get(f"/subjects/{OWNER}/papers")
    assert f"/subjects/{OWNER}/access-log" in home.text                    # the navigation
    paper = testapp.get(f"/subjects/{OWNER}/documents/{world.birth}/")
    assert f"access-log?paper={world.birth}" in paper.text
    filtered = testapp.get(f"/subjects/{OWNER}/access-log", {"paper": world.id_card})
    rows = filtered.html.select("#access-log tbody tr")
    assert rows and all(world.id_card in str(r) for r in rows)
    assert testapp.get(f"/subjects/{OWNER}/access-log", {"page": "x"}, status=400)


def test_pagination_links(reuse_app, reuse_testapp, world):
    add_uses(reuse_app, world, n=30)
    testapp = reuse_testapp
    login(testapp, "congdan")
    page1 = testapp.get(f"/subjects/{OWNER}/access-log")
    assert len(page1.html.select("#access-log tbody tr")) == 20
    assert page1.html.select_one("#access-log-pager a[rel=next]")
    page2 = testapp.get(f"/subjects/{OWNER}/access-log", {"page": 2})
    assert page2.html.select_one("#access-log-pager a[rel=prev]")
    times1 = [r.select("td")[0].text for r in page1.html.select("#access-log tbody tr")]
    assert times1 == sorted(times1, key=lambda t: (t[6:10], t[3:5], t[:2], t[11:]), reverse=True)


def test_api_for_the_owner_and_refusals(reuse_app, reuse_testapp, world):
    add_uses(reuse_app, world)
    testapp = reuse_testapp

    def token(username):
        r = testapp.post_json("/api/v1/tokens", {"username": username, "password": "matkhau-demo"})
        return {"Authorization": f"Bearer {r.json['token']}"}

    from .openapi_check import validate
    mine = validate(testapp.get(f"/api/v1/subjects/{OWNER}/access-log", {"limit": 2}, headers=token("congdan")))
    body = mine.json
    assert body["total"] >= 3 and len(body["items"]) == 2 and body["next_offset"] == 2
    assert body["items"][0]["action"] == "search_read" and "T" in body["items"][0]["time"]
    assert "query" not in repr(body) and "Nguyễn Văn Khác" not in repr(body)
    by_paper = testapp.get(f"/api/v1/subjects/{OWNER}/access-log", {"paper": world.id_card},
                           headers=token("congdan")).json
    assert by_paper["items"] and all(i["paper"] == world.id_card for i in by_paper["items"])
    assert testapp.get(f"/api/v1/subjects/{OWNER}/access-log", {"limit": "0"}, headers=token("congdan"),
                       status=400).json
    # another citizen: not found; other staff: forbidden; the auditor and records manager: served
    validate(testapp.get(f"/api/v1/subjects/{OWNER}/access-log", headers=token("congdan2"), status=404))
    validate(testapp.get(f"/api/v1/subjects/{OWNER}/access-log", headers=token("canbo"), status=403))
    conn, root = _root(reuse_app)
    before = len(audit_log(conn))
    conn.close()
    testapp.get(f"/api/v1/subjects/{OWNER}/access-log", headers=token("kiemtoan"), status=200)
    conn, root = _root(reuse_app)
    looks = [e for e in audit_log(conn) if e["action"] == "read_access_log"]
    assert len(audit_log(conn)) > before and looks[-1]["actor"] == "kiemtoan" and looks[-1]["subject"] == OWNER
    conn.close()
    testapp.reset()
    login(testapp, "congdan2")
    testapp.get(f"/subjects/{OWNER}/access-log", status=404)


def test_the_app_seals_in_a_thread_where_asked(reuse_settings, world):
    import time

    from repository.audit import audit_pending
    from views import main
    from views.services import IAuditSealer, lookup
    from views.startup import shutdown
    app = main({}, **dict(reuse_settings, **{"kho.audit.sealer": "embedded", "kho.audit.seal_interval": "0.2"}))
    try:
        assert lookup(app.registry, IAuditSealer) is not None
        add_uses(app, world)
        db = app.registry._zodb_databases[""]
        deadline = time.monotonic() + 30
        while audit_pending(db) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert audit_pending(db) == 0
        conn, root = _root(app)
        log = audit_log(conn)
        assert log.verify() == (True, None) and log.sealed.index.seqs(OWNER)[1] >= 3
        conn.close()
    finally:
        shutdown(app.registry)
