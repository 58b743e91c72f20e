"""The route × role table of the reuse-cycle API (views/api/dossiers.py,
reception.py, consents.py, catalogues.py), in the format of CASES in
test_security_matrix.py: view → (method, path template, who may, params).

Asked over the reuse world (tests/reuse_world.py, fixture `world`). Path
templates and param strings use {dossier} (world.second: open at canbo2's
desk 000.16.16.H10, agency 000.00.01.H10), {first} (world.first: approved at
canbo's desk, agency 000.15.16.H10), {doc} (world.id_card), {consent}
(world.consent_online), {owner} (001090012345), and, from `prepare`, {request}
(a pending reuse request on the second dossier) and {token} (its
confirmation token). Params nest (lists, objects): fill them with `fill`.

"Who may" means "not refused by the ACL": every other account gets 403,
anonymous 401. Params are chosen so that allowed accounts get 2xx, or
400/409 once an earlier allowed account has changed the state (a second
withdrawal, a second narrowing), never 401/403/5xx."""
from repository.consents import NOTICE_VERSION

CITIZENS = {"congdan", "congdan2"}
STAFF = {"canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru"}
RECEPTION = {"canbo", "buudien", "canbo2"}
SIGNED_IN = CITIZENS | STAFF | {"kiemtoan", "quantri"}
EVERYONE = SIGNED_IN | {None}
WAREHOUSE_VIEWERS = STAFF | {"congdan"}              # the owner and staff (Warehouse ACL)
CONSENT_MANAGERS = {"canbo2", "congdan"}   # the owner online; a desk with an open dossier of theirs (canbo2) as witness
SECOND_VIEWERS = {"congdan", "canbo2"}               # the second dossier's person and desk
SECOND_DESK = {"canbo2"}

DOSSIER = "/api/v1/dossiers/{dossier}"
CONSENT = "/api/v1/subjects/{owner}/consents/{consent}"

CASES = {
    # dossiers
    "views.api.dossiers.list_dossiers": ("GET", "/api/v1/dossiers", CITIZENS | STAFF, {}),
    "views.api.dossiers.create_dossier": ("POST", "/api/v1/dossiers", RECEPTION,
                                          {"procedure_code": "2.001417", "applicant_id": "{owner}"}),
    "views.api.dossiers.get_dossier": ("GET", DOSSIER, SECOND_VIEWERS, {}),
    "views.api.dossiers.transition_dossier": ("POST", DOSSIER + "/transition", SECOND_VIEWERS,
                                              {"action": "withdraw", "reason": "Không cần nữa"}),
    "views.api.dossiers.resolve_dossier": ("POST", "/api/v1/dossiers/{first}/resolve", {"xuly2"},
                                           {"approved": True}),
    "views.api.dossiers.attach": ("POST", DOSSIER + "/attach", SECOND_DESK,
                                  {"component": "tuy_than", "document": "{doc}"}),
    "views.api.dossiers.receipt": ("GET", DOSSIER + "/receipt", SECOND_VIEWERS, {}),
    "views.api.dossiers.list_reuse_requests": ("GET", DOSSIER + "/reuse-requests", SECOND_VIEWERS, {}),
    "views.api.dossiers.offer": ("POST", DOSSIER + "/reuse-requests", SECOND_DESK,
                                 {"items": [{"component": "tuy_than", "document": "{doc}"}]}),
    "views.api.dossiers.get_reuse_request": ("GET", DOSSIER + "/reuse-requests/{request}", SECOND_VIEWERS, {}),
    "views.api.dossiers.decide_online": ("POST", DOSSIER + "/reuse-requests/{request}/decision", {"congdan"},
                                         {"accept": False}),
    # reception
    "views.api.reception.identify_person": ("POST", "/api/v1/identify", STAFF, {"text": "{owner}"}),
    "views.api.reception.get_confirmation": ("GET", "/api/v1/confirmations/{token}", EVERYONE, {}),
    "views.api.reception.post_confirmation": ("POST", "/api/v1/confirmations/{token}", EVERYONE,
                                              {"accept": False}),
    # consents
    "views.api.consents.list_consents": ("GET", "/api/v1/subjects/{owner}/consents", WAREHOUSE_VIEWERS, {}),
    "views.api.consents.create_consent": ("POST", "/api/v1/subjects/{owner}/consents", CONSENT_MANAGERS,
                                          {"scope": "document", "target": "{doc}", "purposes": ["keep"],
                                           "notice_version": NOTICE_VERSION, "agreed": True}),
    "views.api.consents.get_consent": ("GET", CONSENT, WAREHOUSE_VIEWERS, {}),
    "views.api.consents.narrow": ("PATCH", CONSENT, CONSENT_MANAGERS, {"purposes": ["keep"], "agreed": True}),
    "views.api.consents.withdraw": ("POST", CONSENT + "/withdraw", CONSENT_MANAGERS, {"agreed": True}),
    "views.api.consents.receipt": ("GET", CONSENT + "/receipts/grant", WAREHOUSE_VIEWERS, {}),
    # catalogues (replaces views.api.catalogues.add_doctype)
    "views.api.catalogues.put_entry": ("POST", "/api/v1/catalogues/doctypes", {"quantri"},
                                       {"code": "GPLX", "name": "Giấy phép lái xe", "retention": "10y",
                                        "validity_months": 120}),
    "views.api.catalogues.get_entry": ("GET", "/api/v1/catalogues/doctypes/GKS", SIGNED_IN, {}),
}


def prepare(root, world):
    """The names the cases need beyond the world's, made in the caller's
    transaction: a pending reuse request on the second dossier, offered by
    canbo2, and its confirmation token. Returns {"request", "token"}."""
    from repository.reception import offer_reuse
    dossier = root.dossiers[world.second]
    reuse_request, token = offer_reuse(root, dossier, root.accounts.users["canbo2"],
                                       [{"component": "tuy_than", "document": world.id_card}])
    return {"request": reuse_request.id, "token": token}


def names_of(world, extra=None):
    """The template names: world's codes and ids, plus prepare()'s."""
    return dict({"dossier": world.second, "first": world.first, "doc": world.id_card,
                 "consent": world.consent_online, "owner": world.owner}, **(extra or {}))


def fill(value, names):
    """value with every string formatted with names, through lists and dicts."""
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value
