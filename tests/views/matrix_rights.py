"""The route × role table of the rights views, in the format of CASES in
test_security_matrix.py (view callable → (method, path template, who may,
extra params)), over the reuse world (tests/reuse_world.py).

"All my data" and "My data and rights" are the owner's alone (staff 403,
another citizen 404). A paper's corrections: the owner flags; staff answer
only where the metadata path lets them change the paper ({doc} is signed at
the desk, so only the records manager), and only they and the owner see the
requests. The list of open requests is the records manager's."""

OWNER_ONLY = {"congdan"}
RECORDS = {"luutru"}
DOC = "/subjects/{owner}/documents/{doc}"

CASES = {
    # pages
    "views.pages.rights.rights_page": ("GET", "/subjects/{owner}/rights", OWNER_ONLY, {}),
    "views.pages.rights.export_view": ("POST", "/subjects/{owner}/export", OWNER_ONLY, {}),
    "views.pages.rights.corrections_page": ("GET", DOC + "/corrections", OWNER_ONLY | RECORDS, {}),
    "views.pages.rights.flag_view": ("POST", DOC + "/corrections", OWNER_ONLY,
                                     {"fields": "number", "note": "Số giấy tờ sai", "proposed_number": "9/2020"}),
    "views.pages.rights.answer_view": ("POST", DOC + "/correction-answer", RECORDS,
                                       {"request": "none", "decision": "refuse", "reason": "x"}),
    "views.pages.rights.corrections_queue": ("GET", "/corrections", RECORDS, {}),
    # API
    "views.api.rights.export_api": ("POST", "/api/v1/subjects/{owner}/export", OWNER_ONLY, {}),
    "views.api.rights.list_corrections": ("GET", "/api/v1" + DOC + "/corrections", OWNER_ONLY | RECORDS, {}),
    "views.api.rights.flag_api": ("POST", "/api/v1" + DOC + "/corrections", OWNER_ONLY,
                                  {"fields": ["number"], "note": "Số giấy tờ sai"}),
    "views.api.rights.answer_api": ("POST", "/api/v1" + DOC + "/correction-answer", RECORDS,
                                    {"request": "none", "decision": "refuse", "reason": "x"}),
    "views.api.rights.corrections_queue_api": ("GET", "/api/v1/corrections", RECORDS, {}),
}
