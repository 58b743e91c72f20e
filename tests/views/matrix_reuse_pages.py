"""The route × role table of the reuse-cycle pages (views/pages/desk.py,
dossiers.py, confirm.py, consents.py, warehouse.py), in the format of CASES
in test_security_matrix.py, over the reuse world (tests/reuse_world.py).

Path templates name: {owner} (001090012345), {dossier} (world.second, open at
the Bát Xát desk 000.16.16.H10, agency 000.00.01.H10), {first} (world.first,
approved by xuly2), {doc} (world.id_card), {consent} (world.consent_online,
GKS), {token} (a pending reuse request of world.second). "Allowed" means not
401/403: a form with bad input answers 400, a move the state does not allow
answers with a message (302/409), both count as served."""

CITIZEN = {"congdan"}                       # the owner, the person of both dossiers
STAFF = {"canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru"}
RECEPTION = {"canbo", "buudien", "canbo2"}
LISTERS = STAFF | {"congdan", "congdan2"}   # citizens and staff (not the auditor nor the administrator)
VIEWERS = STAFF | CITIZEN                   # of the owner's warehouse
CONSENT_MANAGERS = {"canbo2"} | CITIZEN   # the owner online; a desk with an open dossier of theirs as witness
SECOND = {"canbo2", "congdan"}              # who may see world.second: its desk and its person
EVERYONE = {"congdan", "congdan2", "canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru",
            "kiemtoan", "quantri", None}

OWNER = "001090012345"
CONSENTS = "/subjects/{owner}/consents"

CASES = {
    # the desk (desk and desk_create replace the older entries: canbo2 and xuly2 are staff too)
    "views.pages.desk.desk": ("GET", "/desk", STAFF, {"id": OWNER}),
    "views.pages.desk.desk_identify": ("POST", "/desk/identify", STAFF, {"id": OWNER}),
    "views.pages.desk.desk_create": ("POST", "/desk", RECEPTION,
                                     {"subject_id": "079203000001", "name": "Lê Văn Bình"}),
    "views.pages.desk.desk_receive": ("POST", "/desk/receive", RECEPTION,
                                      {"procedure_code": "2.001417", "applicant_id": OWNER}),
    # dossiers
    "views.pages.dossiers.dossier_list": ("GET", "/dossiers/", LISTERS, {}),
    "views.pages.dossiers.dossier_page": ("GET", "/dossiers/{dossier}/", SECOND, {}),
    "views.pages.dossiers.offer": ("POST", "/dossiers/{dossier}/offer", {"canbo2"}, {}),
    "views.pages.dossiers.attach": ("POST", "/dossiers/{dossier}/attach", {"canbo2"},
                                    {"component": "tuy_than", "document": "nothing"}),
    # the person may see the dossier but not ask for a supplement: the domain refuses (403)
    "views.pages.dossiers.move": ("POST", "/dossiers/{dossier}/transition", {"canbo2"},
                                  {"action": "request_supplement", "reason": "Thiếu ảnh 4x6"}),
    "views.pages.dossiers.withdraw": ("POST", "/dossiers/{dossier}/withdraw", SECOND, {}),
    "views.pages.dossiers.resolve_view": ("POST", "/dossiers/{first}/resolve", {"xuly2"},
                                          {"decision": "approve"}),
    "views.pages.dossiers.decide": ("POST", "/dossiers/{dossier}/decide", CITIZEN,
                                    {"request": "nothing", "answer": "accept"}),
    # the confirmation page facing the citizen: the secret link is the key, no log-in
    "views.pages.confirm.confirm_page": ("GET", "/confirm/{token}", EVERYONE, {}),
    "views.pages.confirm.confirm_decide": ("POST", "/confirm/{token}", EVERYONE, {"answer": "refuse"}),
    "views.pages.confirm.confirm_preview": ("GET", "/confirm/{token}/preview/{doc}/1", EVERYONE, {}),
    # consents
    "views.pages.consents.consents_page": ("GET", CONSENTS + "/", VIEWERS, {}),
    "views.pages.consents.grant": ("POST", CONSENTS + "/grant", CONSENT_MANAGERS,
                                   {"target": "doctype:HC", "purposes": "keep", "notice_version": "TB-2026-01"}),
    "views.pages.consents.narrow": ("POST", CONSENTS + "/{consent}/narrow", CONSENT_MANAGERS,
                                    {"purposes": "keep"}),
    "views.pages.consents.withdraw": ("POST", CONSENTS + "/{consent}/withdraw", CONSENT_MANAGERS, {}),
    "views.pages.consents.receipt": ("GET", CONSENTS + "/{consent}/receipt/grant", VIEWERS, {}),
    # the warehouse and the upload form (upload_post sends a file: it is in UPLOADS)
    "views.pages.warehouse.warehouse_page": ("GET", "/subjects/{owner}/", VIEWERS, {}),
    "views.pages.warehouse.upload_get": ("GET", "/subjects/{owner}/upload", RECEPTION, {}),
    "views.pages.warehouse.upload_post": ("POST", "/subjects/{owner}/upload", RECEPTION,
                                          {"type_code": "GKS"}),
}
UPLOADS = {"views.pages.warehouse.upload_post"}
