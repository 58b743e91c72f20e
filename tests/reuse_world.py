"""A warehouse that has lived through one procedure, built through the
repository's own functions (real signatures, real consent receipts): the
starting point of reuse tests and of the route × role table.

First dossier: canbo (commune desk 000.15.16.H10) receives procedure 1.004227
for OWNER; an ID card and a birth certificate are digitized for it, signed
by canbo, attached; OWNER consents (one at the desk, one online); xuly2 (the
commune's processor) approves. Second dossier: canbo2 (Bát Xát district desk
000.16.16.H10) receives 2.001417 (competent agency: 000.00.01.H10) for OWNER."""
import types

from repository.consents import NOTICE_VERSION, grant_consent
from repository.dossiers import attach_document, receive_dossier, resolve
from repository.operations import add_document
from repository.signatures import sign_digitized

from .files import pdf_bytes

OWNER = "001090012345"
FIRST_PROCEDURE = "1.004227"
SECOND_PROCEDURE = "2.001417"


def digitize(root, settings, officer, dossier, type_code, text):
    """A scan uploaded for the dossier and signed by the officer (as after review)."""
    data = pdf_bytes(text=text)
    document = add_document(root, root.subjects[dossier.applicant_id], data, f"{type_code}.pdf",
                            {"type_code": type_code, "provenance": "digitized", "number": "12/2020",
                             "issue_date": "2020-03-02", "dossier_code": dossier.code},
                            officer)
    sign_digitized(document, data, settings, officer)
    return document


def build(root, settings):
    users = root.accounts.users
    canbo, canbo2, xuly2, citizen = users["canbo"], users["canbo2"], users["xuly2"], users["congdan"]
    first = receive_dossier(root, canbo, FIRST_PROCEDURE, OWNER)
    id_card = digitize(root, settings, canbo, first, "CCCD", "CĂN CƯỚC CÔNG DÂN")
    birth = digitize(root, settings, canbo, first, "GKS", "GIẤY KHAI SINH")
    attach_document(root, first, canbo, "giay_to_tuy_than", id_card.__name__)
    attach_document(root, first, canbo, "giay_khai_sinh", birth.__name__)
    warehouse = root.subjects[OWNER]
    at_desk = grant_consent(root, warehouse, canbo, {
        "scope": "document", "target": id_card.__name__, "purposes": ["keep", "reuse"],
        "notice_version": NOTICE_VERSION, "agreed": True}, settings)
    online = grant_consent(root, warehouse, citizen, {
        "scope": "doctype", "target": "GKS", "purposes": ["keep", "reuse"],
        "notice_version": NOTICE_VERSION}, settings)
    resolve(root, first, xuly2, approved=True)
    second = receive_dossier(root, canbo2, SECOND_PROCEDURE, OWNER)
    return types.SimpleNamespace(first=first, second=second, id_card=id_card, birth=birth,
                                 consent_desk=at_desk, consent_online=online)


def names(world):
    """The world's codes and ids as plain strings (for tests that open it again)."""
    return types.SimpleNamespace(
        first=world.first.code, second=world.second.code, id_card=world.id_card.__name__,
        birth=world.birth.__name__, consent_desk=world.consent_desk.id,
        consent_online=world.consent_online.id, owner=OWNER)
