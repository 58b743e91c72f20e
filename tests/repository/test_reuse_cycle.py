"""The reuse cycle in the repository alone: dossiers (codes, states, who may
do what), consent (grant, narrow, withdraw, receipts), reception (what is
offered, with reasons; preview and confirmation; attach by reference)."""
import datetime

import pytest
import transaction

import signing
from repository.audit import audit_log
from repository.calendar import VN, add_working_days
from repository.consents import CONSEQUENCES, NOTICE_VERSION, grant_consent, narrow_consent, withdraw_consent
from repository.db import app_root, close_databases, open_databases
from repository.dossiers import receive_dossier, resolve, transition
from repository.operations import add_document
from repository.errors import Conflict, Refused, ValidationError
from repository.reading import authorize_read
from repository.reception import (PersonAtDesk, candidates, decide_reuse, identify, offer_reuse,
                                  request_for_token)

from ..files import pdf_bytes

OWNER = "001090012345"
OTHER = "010195004321"


@pytest.fixture
def conn(reuse_settings):
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    yield conn
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


@pytest.fixture
def root(conn):
    return app_root(conn)


def user(root, name):
    return root.accounts.users[name]


def test_codes_restart_each_day_per_unit_in_vietnam_time(root):
    # 23:30 UTC on 30 November is 06:30 on 1 December in Vietnam; a day in
    # the past, so that the world's dossiers (received today) are of other days
    late = datetime.datetime(2025, 11, 30, 23, 30, tzinfo=datetime.timezone.utc)
    a = receive_dossier(root, user(root, "canbo"), "1.004227", OWNER, now=late)
    b = receive_dossier(root, user(root, "canbo"), "1.004227", OTHER, now=late)
    c = receive_dossier(root, user(root, "canbo2"), "1.004227", OWNER, now=late)
    assert a.code == "000.15.16.H10-251201-0001" and c.code == "000.16.16.H10-251201-0001"
    assert b.code == "000.15.16.H10-251201-0002"
    next_day = receive_dossier(root, user(root, "canbo"), "1.004227", OWNER, now=late + datetime.timedelta(days=1))
    assert next_day.code == "000.15.16.H10-251202-0001"
    assert a.code in root.dossiers.codes_for_person(OWNER) and c.code in root.dossiers.codes_for_unit("000.16.16.H10")


def test_due_dates_skip_weekends_and_loaded_holidays(root):
    holidays = root.catalogues.holiday_dates()
    assert add_working_days(datetime.date(2026, 4, 29), 1, holidays) == datetime.date(2026, 5, 4)   # 30/4, 1/5
    friday = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=VN)
    dossier = receive_dossier(root, user(root, "canbo"), "1.000894", OWNER, others=[OTHER], now=friday)
    assert dossier.due == datetime.date(2026, 12, 7) and dossier.others == (OTHER,)


def test_reception_checks_everything_and_writes_nothing_on_error(root):
    before = len(root.dossiers)
    with pytest.raises(ValidationError) as err:
        receive_dossier(root, user(root, "canbo"), "9.999999", "001090012346")
    assert set(err.value.errors) == {"procedure_code", "applicant_id"}
    with pytest.raises(ValidationError) as err:
        receive_dossier(root, user(root, "canbo"), "1.000894", OWNER)    # marriage needs the other party
    assert "others" in err.value.errors
    with pytest.raises(ValidationError) as err:
        receive_dossier(root, user(root, "canbo"), "1.004227", OWNER, others=[OWNER])
    assert "others.0" in err.value.errors
    with pytest.raises(Refused):
        receive_dossier(root, user(root, "xuly"), "1.004227", OWNER)      # a processor does not receive
    assert len(root.dossiers) == before


def test_states_move_only_as_allowed_and_each_move_is_on_the_timeline(root, world):
    dossier = receive_dossier(root, user(root, "canbo"), "1.004227", OWNER)
    with pytest.raises(Refused):
        transition(root, dossier, user(root, "canbo2"), "withdraw")        # another desk
    with pytest.raises(Refused):
        transition(root, dossier, user(root, "canbo"), "start")            # the agency starts
    with pytest.raises(ValidationError):
        transition(root, dossier, user(root, "xuly2"), "request_supplement")   # needs a reason
    transition(root, dossier, user(root, "xuly2"), "request_supplement", "Thiếu giấy khai sinh")
    with pytest.raises(Conflict):
        resolve(root, dossier, user(root, "xuly2"), approved=True)
    transition(root, dossier, user(root, "canbo"), "supplement_received")
    with pytest.raises(ValidationError):
        resolve(root, dossier, user(root, "xuly2"), approved=False)      # a rejection needs a reason
    with pytest.raises(Conflict) as err:
        resolve(root, dossier, user(root, "xuly2"), approved=True)       # required components missing
    assert "Giấy khai sinh" in str(err.value)
    resolve(root, dossier, user(root, "xuly2"), approved=False, reason="Không đủ điều kiện")
    with pytest.raises(Conflict):
        transition(root, dossier, user(root, "congdan"), "withdraw")
    assert [e["action"] for e in dossier.timeline] == [
        "received", "request_supplement", "supplement_received", "rejected"]
    actions = [e["action"] for e in audit_log(root._p_jar) if e.get("purpose") == dossier.code]
    assert actions == ["dossier_received", "dossier_request_supplement", "dossier_supplement_received",
                       "dossier_rejected"]


def test_the_purpose_is_a_real_open_dossier_of_the_owner_at_the_reader_s_unit(root, conn, world):
    id_card = root.subjects[OWNER].documents[world.id_card]
    refusals = {
        "xuly": world.second,            # a third unit, with the second dossier's code
        "canbo": world.second,           # the first desk, whose dossier is closed now
        "canbo2": world.first,           # a closed dossier
        "luutru": world.second,          # records managers: records purposes only
    }
    for name, purpose in refusals.items():
        with pytest.raises(Refused):
            authorize_read(id_card, user(root, name), purpose)
    other = receive_dossier(root, user(root, "canbo2"), "2.001417", OTHER)
    conn.transaction_manager.commit()
    with pytest.raises(Refused):
        authorize_read(id_card, user(root, "canbo2"), other.code)     # another person's dossier
    assert authorize_read(id_card, user(root, "canbo2"), world.second) == world.second
    assert authorize_read(id_card, user(root, "luutru"), "legal_hold") == "legal_hold"


def test_only_consented_signed_in_force_papers_from_approved_dossiers_are_offered(root, world):
    second = root.dossiers[world.second]
    procedure = root.catalogues.procedures[second.procedure_code]
    offered = {c.key: candidates(root, second, c) for c in procedure.components}
    assert [(c["document"].__name__, c["reasons"]) for c in offered["tuy_than"]] == [(world.id_card, [])]
    assert [(c["document"].__name__, c["reasons"]) for c in offered["giay_khai_sinh"]] == [(world.birth, [])]
    birth = root.subjects[OWNER].documents[world.birth]
    birth.state = "revoked"
    reasons = candidates(root, second, procedure.component("giay_khai_sinh"))[0]["reasons"]
    assert reasons == ["Giấy tờ đã bị thu hồi"]
    birth.state = "in_force"
    # a paper from a dossier that is still open: not from a resolved dossier, not signed, no consent
    fresh = receive_dossier(root, user(root, "canbo"), "1.004227", OWNER)
    extra = add_document(root, root.subjects[OWNER], pdf_bytes(), "hc.pdf",
                         {"type_code": "HC", "dossier_code": fresh.code, "issue_date": "2010-01-01"},
                         user(root, "canbo"))
    reasons = {c["document"].__name__: c["reasons"] for c in candidates(root, second, procedure.component("tuy_than"))}
    assert reasons[extra.__name__] == [
        "Hết hiệu lực từ 01/01/2020", "Chưa được ký số hoặc chữ ký không hợp lệ",
        "Chưa thuộc hồ sơ nào đã được giải quyết",
        "Chưa có sự đồng ý tái sử dụng của chủ giấy tờ (hoặc đã rút)"]
    assert list(reasons)[0] == world.id_card        # the reusable paper comes first


def test_preview_then_confirm_attaches_by_reference_and_logs_each_use(root, world):
    second = root.dossiers[world.second]
    documents_before = len(root.subjects[OWNER].documents)
    with pytest.raises(Refused):
        offer_reuse(root, second, user(root, "canbo"), [{"component": "tuy_than", "document": world.id_card}])
    with pytest.raises(ValidationError):
        offer_reuse(root, second, user(root, "canbo2"), [{"component": "tuy_than", "document": world.birth}])
    twin, _ = offer_reuse(root, second, user(root, "canbo2"), [
        {"component": "tuy_than", "document": world.id_card}])
    request, token = offer_reuse(root, second, user(root, "canbo2"), [
        {"component": "tuy_than", "document": world.id_card},
        {"component": "giay_khai_sinh", "document": world.birth}])
    assert second.components == {}                     # nothing before the person confirms
    found_dossier, found = request_for_token(root, token)
    assert found is request and request_for_token(root, token + "x") == (None, None)
    with pytest.raises(Refused):
        decide_reuse(root, second, request, PersonAtDesk(OTHER), True, "desk")
    decide_reuse(root, found_dossier, found, PersonAtDesk(OWNER), True, "desk")
    attached = {k: [(a.doc_id, a.reused) for a in v] for k, v in second.components.items()}
    assert attached == {"tuy_than": [(world.id_card, True)], "giay_khai_sinh": [(world.birth, True)]}
    assert len(root.subjects[OWNER].documents) == documents_before
    uses = [e for e in audit_log(root._p_jar) if e["action"] == "reuse"]
    assert {(e["subject"], e["document"], e["purpose"]) for e in uses} == {
        (OWNER, world.id_card, world.second), (OWNER, world.birth, world.second)}
    with pytest.raises(Conflict):
        decide_reuse(root, second, request, PersonAtDesk(OWNER), True, "desk")
    with pytest.raises(Conflict):       # the same paper offered twice is attached once
        decide_reuse(root, second, twin, PersonAtDesk(OWNER), True, "desk")
    assert len(second.components["tuy_than"]) == 1


def test_an_expired_or_refused_offer_attaches_nothing(root, world):
    second = root.dossiers[world.second]
    request, _ = offer_reuse(root, second, user(root, "canbo2"),
                             [{"component": "tuy_than", "document": world.id_card}], minutes=0)
    with pytest.raises(Conflict):
        decide_reuse(root, second, request, PersonAtDesk(OWNER), True, "desk")
    request, _ = offer_reuse(root, second, user(root, "canbo2"),
                             [{"component": "tuy_than", "document": world.id_card}])
    decide_reuse(root, second, request, user(root, "congdan"), False, "online")
    assert request.state == "refused" and second.components == {}
    assert second.timeline[-1]["action"] == "reuse_refused"


def test_a_withdrawal_stops_offers_at_once_and_keeps_past_uses(root, world, reuse_settings):
    second = root.dossiers[world.second]
    warehouse = root.subjects[OWNER]
    request, _ = offer_reuse(root, second, user(root, "canbo2"),
                             [{"component": "giay_khai_sinh", "document": world.birth}])
    consent = warehouse.consents[world.consent_online]
    withdraw_consent(root, consent, user(root, "congdan"), reuse_settings)
    assert not consent.active and "withdrawal" in consent.receipts
    birth_offer = candidates(root, second, root.catalogues.procedures[second.procedure_code].component(
        "giay_khai_sinh"))[0]
    assert birth_offer["reasons"] == ["Chưa có sự đồng ý tái sử dụng của chủ giấy tờ (hoặc đã rút)"]
    with pytest.raises(Conflict):               # a pending offer is checked again at confirmation
        decide_reuse(root, second, request, PersonAtDesk(OWNER), True, "desk")
    log = list(audit_log(root._p_jar))
    assert [e["action"] for e in log].count("consent_withdraw") == 1
    assert CONSEQUENCES.startswith("Từ nay")


def test_consent_needs_the_person_s_own_act_and_only_narrows(root, world, reuse_settings):
    """…and a desk records it only for a person with an open dossier there."""
    warehouse = root.subjects[OWNER]
    base = {"scope": "doctype", "target": "CCCD", "purposes": ["reuse"], "notice_version": NOTICE_VERSION}
    with pytest.raises(ValidationError) as err:          # at the desk: the person must have agreed
        grant_consent(root, warehouse, user(root, "canbo2"), base, reuse_settings)
    assert "agreed" in err.value.errors
    with pytest.raises(Refused):         # a desk whose dossier of this person is closed is no witness
        grant_consent(root, warehouse, user(root, "canbo"), dict(base, agreed=True), reuse_settings)
    with pytest.raises(ValidationError) as err:
        grant_consent(root, warehouse, user(root, "congdan"), dict(base, purposes=5), reuse_settings)
    assert "purposes" in err.value.errors
    with pytest.raises(Refused):
        grant_consent(root, warehouse, user(root, "xuly2"), dict(base, agreed=True), reuse_settings)
    with pytest.raises(Refused):
        grant_consent(root, warehouse, user(root, "congdan2"), base, reuse_settings)
    with pytest.raises(ValidationError) as err:
        grant_consent(root, warehouse, user(root, "congdan"), dict(base, purposes=[], notice_version="old"),
                      reuse_settings)
    assert set(err.value.errors) == {"purposes", "notice_version"}
    with pytest.raises(ValidationError):
        grant_consent(root, warehouse, user(root, "congdan"), dict(base, purposes=["share"]), reuse_settings)
    consent = grant_consent(root, warehouse, user(root, "congdan"),
                            dict(base, purposes=["keep", "reuse", "share"], recipients=["Sở Tư pháp"]),
                            reuse_settings)
    with pytest.raises(ValidationError):
        narrow_consent(root, consent, user(root, "congdan"), ["keep", "reuse", "share"], reuse_settings)
    narrow_consent(root, consent, user(root, "congdan"), ["keep"], reuse_settings)
    assert consent.purposes == ("keep",) and sorted(consent.receipts) == ["grant", "narrow-1"]
    report = signing.verify_pdf(_read(consent.receipts["narrow-1"]), [reuse_settings["kho.trust_roots"]])
    assert report.ok


def _read(blob):
    with blob.open("r") as f:
        return f.read()


def test_identify_by_the_id_card_qr_shows_mismatches(root):
    found = identify(root, "001090012345|123456789|Nguyễn Văn An|12051990|Nam|Hà Nội|01012021")
    assert found["subject_id"] == OWNER and found["mismatches"] == [] and found["card"]["sex"] == "male"
    found = identify(root, "001090012345|123456789|Nguyễn Văn Ân|12051991|Nữ|Hà Nội|01012021")
    assert len(found["mismatches"]) == 4     # the id's year and sex; the warehouse's name and date of birth
    with pytest.raises(ValidationError):
        identify(root, "001090012345|thiếu trường")
    assert identify(root, "079203000001")["warehouse"] is None


def test_a_signed_or_used_paper_cannot_be_retargeted_or_edited(root, world):
    """A paper cannot be moved to another dossier by editing its metadata (that
    would attach it without consent or the person's confirmation); a paper the
    desk signed, or that served an approved dossier, is changed by records only."""
    from repository.operations import update_metadata
    second = root.dossiers[world.second]
    id_card = root.subjects[OWNER].documents[world.id_card]
    with pytest.raises(Conflict):
        update_metadata(root, id_card, {"dossier_code": second.code}, user(root, "canbo2"))
    with pytest.raises(Conflict):
        update_metadata(root, id_card, {"state": "revoked"}, user(root, "buudien"))
    with pytest.raises(ValidationError) as err:          # not with the attach either
        from repository.dossiers import attach_document
        attach_document(root, second, user(root, "canbo2"), "tuy_than", world.id_card)
    assert "document" in err.value.errors
    update_metadata(root, id_card, {"state": "revoked"}, user(root, "luutru"))
    assert id_card.state == "revoked"
    fresh = add_document(root, root.subjects[OWNER], pdf_bytes(), "gks.pdf",
                         {"type_code": "GKS", "dossier_code": second.code}, user(root, "canbo2"))
    with pytest.raises(ValidationError) as err:
        update_metadata(root, fresh, {"dossier_code": world.first}, user(root, "canbo2"))
    assert "dossier_code" in err.value.errors
    with pytest.raises(Refused):                          # another unit, no open dossier of this person
        update_metadata(root, fresh, {"number": "1/2026"}, user(root, "canbo"))
    update_metadata(root, fresh, {"number": "1/2026"}, user(root, "canbo2"))
    assert attach_document(root, second, user(root, "canbo2"), "giay_khai_sinh", fresh.__name__) is fresh
