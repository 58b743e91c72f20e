"""Service-quality indicators in the repository alone: counters kept in the
dossier change's own transaction agree with a rebuild from the dossiers, the
reuse rate over the reuse cycle is the test's own count, a difference is
reported, and two desks receiving at once do not conflict."""
import datetime

import pytest
import transaction

from repository import indicators as ind
from repository.calendar import VN
from repository.cli import main as kho
from repository.db import app_root, close_databases, open_databases
from repository.dossiers import attach_document, receive_dossier, resolve, transition
from repository.errors import Refused, ValidationError
from repository.reception import PersonAtDesk, decide_reuse, offer_reuse
from repository.results import issue_result

from ..conftest import write_ini
from ..component_count import own_components

OWNER = "001090012345"
COMMUNE, BATXAT, PROVINCE = "000.15.16.H10", "000.16.16.H10", "000.00.00.H10"


@pytest.fixture
def db(reuse_settings):
    db = open_databases(reuse_settings)
    yield db
    close_databases(db)


@pytest.fixture
def conn(db):
    conn = db.open(transaction.TransactionManager())
    yield conn
    conn.transaction_manager.abort()
    conn.close()


@pytest.fixture
def root(conn):
    return app_root(conn)


def user(root, name):
    return root.accounts.users[name]


def this_year():
    return str(datetime.datetime.now(VN).year)


def province_year(root):
    data = ind.report(root, {"level": "province", "period": "year", "from": this_year(), "to": this_year()})
    assert [r["unit"] for r in data["rows"]] == [PROVINCE]
    return data["rows"][0]


def world_attached(world):
    """What reuse_world attached: the first dossier's two scanned papers."""
    return [(world.first, "giay_to_tuy_than", False), (world.first, "giay_khai_sinh", False)]


def test_periods_and_working_days():
    assert ind.periods_of(datetime.date(2026, 12, 1)) == ["2026-12", "2026-Q4", "2026"]
    assert [ind.period_kind(p) for p in ("2026", "2026-Q2", "2026-07", "2026-13", "26")] == [
        "year", "quarter", "month", None, None]
    holidays = {datetime.date(2026, 4, 27), datetime.date(2026, 4, 30), datetime.date(2026, 5, 1)}
    friday = datetime.date(2026, 4, 24)
    assert ind.working_days_between(friday, friday, holidays) == 0
    assert ind.working_days_between(friday, datetime.date(2026, 5, 4), holidays) == 3
    assert ind._periods_between("quarter", "2025-Q3", "2026-Q2") == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def test_the_reuse_cycle_counts_equal_the_test_s_own(root, world, reuse_settings):
    # the world so far: the first dossier's two components were scanned; the
    # second's one required component (the ID card) is still missing
    attached = world_attached(world)
    assert own_components(root, attached) == (0, 3)
    row = province_year(root)
    assert row["figures"]["reuse"] == {"value": 0.0, "numerator": 0, "denominator": 3}
    # the second dossier (Bát Xát) reuses the ID card and the birth
    # certificate (an optional component there, now part of the dossier)
    second = root.dossiers[world.second]
    request, _ = offer_reuse(root, second, user(root, "canbo2"), [
        {"component": "tuy_than", "document": world.id_card},
        {"component": "giay_khai_sinh", "document": world.birth}])
    decide_reuse(root, second, request, PersonAtDesk(OWNER), True, "desk")
    attached += [(world.second, "tuy_than", True), (world.second, "giay_khai_sinh", True)]
    reused, total = own_components(root, attached)
    assert (reused, total) == (2, 4)
    row = province_year(root)
    assert row["figures"]["reuse"] == {"value": 50.0, "numerator": reused, "denominator": total}
    assert row["counts"]["received"] == 2 and row["counts"]["digitized"] == 2
    # per desk: the commune scanned, Bát Xát reused
    desks = ind.report(root, {"level": "desk", "period": "year", "from": this_year(), "to": this_year()})
    by_unit = {r["unit"]: r["figures"]["reuse"] for r in desks["rows"]}
    assert by_unit[COMMUNE]["value"] == 0.0 and by_unit[BATXAT]["value"] == 100.0
    # the first dossier's result, issued and filed: an electronic result
    first = root.dossiers[world.first]
    assert province_year(root)["figures"]["e_result"] == {"value": 0.0, "numerator": 0, "denominator": 1}
    issue_result(root, first, user(root, "xuly2"), reuse_settings)
    assert province_year(root)["figures"]["e_result"] == {"value": 100.0, "numerator": 1, "denominator": 1}
    assert ind.differences(root) == []


def test_components_not_papers(root, world, reuse_settings):
    """A marriage registration (four required components, two of them the
    other party's) with the applicant's ID card reused and a second ID card
    scanned into the same component: 1 component of 4 from the warehouse
    (papers would have said 1 of 2); the missing ones count."""
    from ..reuse_world import digitize
    canbo = user(root, "canbo")
    marriage = receive_dossier(root, canbo, "1.000894", OWNER, others=["010195004321"])
    request, _ = offer_reuse(root, marriage, canbo, [{"component": "tuy_than_nguoi_nop",
                                                       "document": world.id_card}])
    decide_reuse(root, marriage, request, PersonAtDesk(OWNER), True, "desk")
    scanned = digitize(root, reuse_settings, canbo, marriage, "HC", "HỘ CHIẾU")
    attach_document(root, marriage, canbo, "tuy_than_nguoi_nop", scanned.__name__)
    assert len(marriage.components["tuy_than_nguoi_nop"]) == 2
    assert ind.components_of(root, marriage) == ({"tuy_than_nguoi_nop", "xac_nhan_hon_nhan_nguoi_nop",
                                                  "tuy_than_ben_kia", "xac_nhan_hon_nhan_ben_kia"},
                                                 {"tuy_than_nguoi_nop"})
    attached = world_attached(world) + [(marriage.code, "tuy_than_nguoi_nop", True),
                                        (marriage.code, "tuy_than_nguoi_nop", False)]
    reused, total = own_components(root, attached)
    assert (reused, total) == (1, 2 + 1 + 4)
    row = province_year(root)
    assert (row["figures"]["reuse"]["numerator"], row["figures"]["reuse"]["denominator"]) == (reused, total)
    desks = ind.report(root, {"level": "desk", "period": "year", "from": this_year(), "to": this_year()})
    commune = next(r for r in desks["rows"] if r["unit"] == COMMUNE)
    assert commune["figures"]["reuse"] == {"value": 100 / 6, "numerator": 1, "denominator": 6}
    assert ind.differences(root) == []


def test_an_evolve_step_recounts_counters_stored_as_papers(root, world):
    """Counters written when the reuse rate counted papers are recomputed by
    the last evolve step."""
    from repository.db import ROOT_KEY
    from repository.evolve import STEPS, evolve_indicators_by_component
    assert evolve_indicators_by_component in STEPS
    month = ind.periods_of(datetime.datetime.now(VN).date())[0]
    first = root.dossiers[world.first]
    units, rec_periods, rec, res_periods, res = first.indicator_profile
    as_papers = (units, rec_periods, tuple(sorted(dict(rec, components=5, reused=3).items())),
                 res_periods, res)
    for key, n in ind.expand(as_papers).items():          # as an older generation stored it
        delta = n - ind.expand(first.indicator_profile).get(key, 0)
        if delta:
            root.indicators.change(key, delta)
    first.indicator_profile = as_papers
    assert (("desk", COMMUNE, month, "reused", COMMUNE), 3, 0) in ind.differences(root)
    evolve_indicators_by_component(root._p_jar.root())
    assert root._p_jar.root()[ROOT_KEY] is root
    assert ind.differences(root) == []
    assert province_year(root)["counts"]["components"] == 3


def test_on_time_and_working_days(root, monkeypatch):
    import repository.dossiers as dossiers
    friday = datetime.datetime(2026, 4, 24, 10, 0, tzinfo=VN)   # 27/4, 30/4 and 1/5 are holidays
    canbo, xuly2 = user(root, "canbo"), user(root, "xuly2")
    early = receive_dossier(root, canbo, "1.004227", OWNER, now=friday)
    late = receive_dossier(root, canbo, "1.004227", OWNER, now=friday, channel="online")
    assert early.due == datetime.date(2026, 5, 4)
    monkeypatch.setattr(dossiers, "utcnow", lambda: datetime.datetime(2026, 5, 4, 9, 0, tzinfo=VN))
    resolve(root, early, xuly2, approved=False, reason="Thiếu giấy tờ")
    monkeypatch.setattr(dossiers, "utcnow", lambda: datetime.datetime(2026, 5, 5, 9, 0, tzinfo=VN))
    resolve(root, late, xuly2, approved=False, reason="Thiếu giấy tờ")
    april = ind.report(root, {"level": "desk", "period": "month", "from": "2026-04", "to": "2026-05"})
    rows = {(r["period"], r["unit"]): r for r in april["rows"]}
    assert rows[("2026-04", COMMUNE)]["counts"]["received"] == 2
    assert rows[("2026-04", COMMUNE)]["figures"]["online"]["value"] == 50.0
    may = rows[("2026-05", COMMUNE)]
    assert may["figures"]["on_time"] == {"value": 50.0, "numerator": 1, "denominator": 2}
    assert may["figures"]["avg_days"] == {"value": 3.5, "numerator": 7, "denominator": 2}
    assert may["figures"]["e_result"]["value"] is None        # nothing approved: no ratio
    assert [t["period"] for t in april["totals"]] == ["2026-04", "2026-05"]
    assert ind.differences(root) == []


def test_a_withdrawal_keeps_agreement_and_an_injected_difference_is_found(root, world):
    second = root.dossiers[world.second]
    transition(root, second, user(root, "canbo2"), "withdraw")
    assert ind.differences(root) == []
    month = ind.periods_of(datetime.datetime.now(VN).date())[0]
    root.indicators.change(("desk", COMMUNE, month, "online", COMMUNE), 3)
    assert ind.differences(root) == [(("desk", COMMUNE, month, "online", COMMUNE), 3, 0)]
    assert ind.rebuild(root) == (len(root.dossiers), 1)
    assert ind.differences(root) == []


def test_check_command_reports_an_injected_difference_and_rebuild_mends_it(db, reuse_settings, tmp_path,
                                                                            capsys):
    ini = write_ini(tmp_path, reuse_settings)
    close_databases(db)                  # the command opens the FileStorage itself
    assert kho(["-c", ini, "indicators", "check"]) == 0
    db2 = open_databases(reuse_settings)
    conn = db2.open(transaction.TransactionManager())
    with conn.transaction_manager:
        root = app_root(conn)
        key = ("agency", COMMUNE, this_year(), "resolved", COMMUNE)
        root.indicators.change(key, 1)
    conn.close()
    close_databases(db2)
    capsys.readouterr()
    assert kho(["-c", ini, "indicators", "check"]) == 1
    out = capsys.readouterr()
    assert f"agency {COMMUNE} {this_year()} resolved: counter 2, dossiers 1" in out.out, out.out
    assert "1 counter(s) differ" in out.err
    assert kho(["-c", ini, "indicators", "rebuild"]) == 0
    assert kho(["-c", ini, "indicators", "check"]) == 0
    capsys.readouterr()
    assert kho(["-c", ini, "indicators", "show", "--level", "province", "--period", "year"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{this_year()} {PROVINCE} online=0.0 (0/2)") and "reuse=0.0 (0/3)" in line, line     # 2 + 1 required components


def test_two_desks_receiving_at_once_do_not_conflict(db, world):
    """Each connection receives at its own desk and both commit: the counters
    are Length objects per unit and period (the province's resolve concurrent
    increments), nothing else is shared."""
    conns = [db.open(transaction.TransactionManager()) for _ in range(2)]
    try:
        for conn in conns:          # both start from the same state
            conn.transaction_manager.begin()
        for conn, (name, procedure) in zip(conns, (("canbo", "1.004227"), ("canbo2", "2.001417"))):
            root = app_root(conn)
            receive_dossier(root, root.accounts.users[name], procedure, OWNER)
        for conn in conns:
            conn.transaction_manager.commit()       # no ConflictError
        check = db.open(transaction.TransactionManager())
        root = app_root(check)
        assert province_year(root)["counts"]["received"] == 4
        assert ind.differences(root) == []
        check.close()
    finally:
        for conn in conns:
            conn.transaction_manager.abort()
            conn.close()


def test_two_desks_opening_a_new_month_at_once_do_not_conflict(db, world):
    """The first dossiers of a month at two desks add counter keys at the
    agency and province levels at once: different keys (the desk is in the
    key), which the trees' buckets resolve."""
    day = datetime.datetime(2027, 3, 10, 9, 30, tzinfo=VN)
    conns = [db.open(transaction.TransactionManager()) for _ in range(2)]
    try:
        for conn in conns:
            conn.transaction_manager.begin()
        for conn, name in zip(conns, ("canbo", "canbo2")):
            root = app_root(conn)
            receive_dossier(root, root.accounts.users[name], "2.001417", OWNER, now=day)  # one agency
        for conn in conns:
            conn.transaction_manager.commit()       # no ConflictError
        check = db.open(transaction.TransactionManager())
        root = app_root(check)
        march = ind.report(root, {"level": "agency", "period": "month", "from": "2027-03", "to": "2027-03"})
        assert [(r["unit"], r["counts"]["received"]) for r in march["rows"]] == [("000.00.01.H10", 2)]
        assert ind.differences(root) == []
        check.close()
    finally:
        for conn in conns:
            conn.transaction_manager.abort()
            conn.close()


def test_filters_and_scope(root):
    assert ind.scope_of(root, user(root, "luutru")) is None
    assert ind.scope_of(root, user(root, "canbo2")) == {BATXAT}
    with pytest.raises(Refused):
        ind.scope_of(root, user(root, "congdan"))
    with pytest.raises(Refused):
        ind.parse_filters({"level": "province"}, scope={BATXAT})
    with pytest.raises(Refused):
        ind.parse_filters({"unit": COMMUNE}, scope={BATXAT})
    with pytest.raises(ValidationError) as exc:
        ind.parse_filters({"level": "x", "period": "month", "from": "2026-Q1"})
    assert set(exc.value.errors) == {"level", "from"}
    with pytest.raises(ValidationError):
        ind.parse_filters({"period": "year", "from": "2027", "to": "2026"})
    assert ind.parse_filters({"period": "quarter"}, today=datetime.date(2026, 12, 1)) == {
        "level": "desk", "period": "quarter", "from": "2026-Q1", "to": "2026-Q4", "unit": None}
