"""The route × role table of the audit views, in the format of CASES in
test_security_matrix.py (view callable → (method, path template, who may,
extra params)), over the reuse world (tests/reuse_world.py).

The owner's access log ("Who used my papers"): the owner, the records
manager (who answers data subjects' requests) and the auditor; another
citizen gets "not found", other staff and the administrator 403."""

ACCESS_LOG_READERS = {"congdan", "luutru", "kiemtoan"}

CASES = {
    "views.pages.access_log.access_log_page": ("GET", "/subjects/{owner}/access-log", ACCESS_LOG_READERS, {}),
    "views.api.access_log.access_log_api": ("GET", "/api/v1/subjects/{owner}/access-log", ACCESS_LOG_READERS,
                                            {"limit": "10"}),
}
