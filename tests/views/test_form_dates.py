"""Form dates are typed as Vietnamese people write them (dd/mm/yyyy) whatever
the browser's locale; the server also takes YYYY-MM-DD, and an impossible
day gets a Vietnamese error and writes nothing."""
import datetime

import pytest

from repository.calendar import form_dates, parse_date

from ..conftest import csrf_from, login
from ..files import pdf_bytes
from .test_reads import OWNER, browser, db, doc_path, scan  # noqa: F401 (fixtures)


def test_the_shared_parser_reads_both_ways_and_nothing_else():
    assert parse_date("21/07/2022") == parse_date("2022-07-21") == parse_date("21/7/2022") \
        == datetime.date(2022, 7, 21)
    for text in ("31/02/2026", "07/21/2022", "2022-7-21", "21-07-2022", "２１/07/2022", "21/07/22", ""):
        with pytest.raises(ValueError):
            parse_date(text)
    with pytest.raises(ValueError):
        parse_date("21/07/2022", iso_only=True)              # the API's way only
    values, errors = form_dates({"issue_date": "5/3/2020", "valid_until": "31/02/2026", "number": "1"},
                                ("issue_date", "valid_until", "valid_from"))
    assert values == {"issue_date": "2020-03-05", "valid_until": "31/02/2026", "number": "1"}
    assert set(errors) == {"valid_until"} and errors["valid_until"].startswith("Ngày phải có dạng dd/mm/yyyy")


def upload_form(app, **dates):
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    assert form["issue_date"].value == "" and 'placeholder="dd/mm/yyyy"' in form.text
    form["file"] = ("quyet-dinh.pdf", pdf_bytes(), "application/pdf")
    form["type_code"] = "GKS"
    form["provenance"] = "uploaded"
    for name, value in dates.items():
        form[name] = value
    return form


def test_upload_takes_dd_mm_yyyy_and_shows_it_back(as_user, open_root):
    app = as_user("canbo")
    page = upload_form(app, issue_date="15/03/2020", valid_until="1/4/2030").submit().follow()
    [document] = open_root().subjects[OWNER].documents.values()
    assert (document.issue_date, document.valid_until) == (datetime.date(2020, 3, 15), datetime.date(2030, 4, 1))
    assert "15/03/2020" in page.text


def test_an_impossible_day_on_upload_is_refused_in_vietnamese_and_writes_nothing(as_user, open_root):
    app = as_user("canbo")
    page = upload_form(app, issue_date="31/02/2026").submit(status=400)
    assert "Ngày phải có dạng dd/mm/yyyy" in page.text and "YYYY-MM-DD" not in page.text
    assert page.forms["upload-form"]["issue_date"].value == "31/02/2026"      # as typed, to correct
    assert len(open_root().subjects[OWNER].documents) == 0


def stored(db, doc_id):
    return db.write(lambda root: (root.subjects[OWNER].documents[doc_id].issue_date,
                                  root.subjects[OWNER].documents[doc_id].valid_until,
                                  root.subjects[OWNER].documents[doc_id].review_state))


def open_review(browser, scan):
    digitizer = browser("canbo2")
    page = digitizer.get(doc_path(scan))
    return page.forms["review-open-form"].submit().follow().forms["review-form"]


def test_review_takes_dd_mm_yyyy(browser, db, scan):
    form = open_review(browser, scan)
    form["issue_date"], form["valid_until"] = "21/07/2022", "20/7/2032"
    form.submit().follow()
    assert stored(db, scan) == (datetime.date(2022, 7, 21), datetime.date(2032, 7, 20), "confirmed")


def test_an_impossible_day_in_the_review_is_refused_and_confirms_nothing(browser, db, scan):
    form = open_review(browser, scan)
    before = db.last()
    form["issue_date"] = "31/02/2026"
    page = form.submit(status=400)
    assert "Ngày phải có dạng dd/mm/yyyy" in page.text
    assert page.forms["review-form"]["issue_date"].value == "31/02/2026"
    assert db.last() == before                                # not a transaction more
    assert stored(db, scan) == (None, None, "pending")


def test_a_records_event_takes_dd_mm_yyyy_and_refuses_an_impossible_day(reuse_app, reuse_testapp, world):
    from .test_records import add_paper
    app = reuse_testapp
    paper = add_paper(reuse_app, {"type_code": "HC", "number": "B1234567"})
    key = f"paper:{OWNER}/{paper}"
    login(app, "luutru")
    holds = app.get("/records/holds")
    assert 'name="on"' in holds.text and 'type="date"' not in holds.text
    form = {"target": key, "event": "superseded", "csrf_token": csrf_from(holds)}
    refused = app.post("/records/events", dict(form, on="31/02/2026"), status=302).follow()
    assert "Ngày phải có dạng dd/mm/yyyy" in refused.text
    assert events(reuse_app, paper) == []
    app.post("/records/events", dict(form, on="1/5/2010"), status=302)
    assert events(reuse_app, paper) == [("superseded", datetime.date(2010, 5, 1))]


def events(reuse_app, paper):
    import transaction
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    try:
        document = conn.root()["kho"].subjects[OWNER].documents[paper]
        return [(e["event"], e["on"]) for e in getattr(document, "retention_events", ()) or ()]
    finally:
        tm.abort()
        conn.close()
