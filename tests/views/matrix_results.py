"""The route × role table of the results views, in the format of CASES in
test_security_matrix.py (view callable → (method, path template, who may,
extra params)), over the reuse world (tests/reuse_world.py).

{first} is approved (xuly2 of the commune resolves it and issues its
result); {doc} is the owner's ID card, which the owner, or the Bát Xát desk
handling the owner's open second dossier, may copy (sao y). My papers and My
dossiers are the owner's alone (staff 403, another citizen 404). The
verification page and its JSON are open to everyone: an unknown code is
"not found" (404), which counts as served."""

OWNER_ONLY = {"congdan"}
COPIERS = {"congdan", "canbo2"}      # the owner; a desk handling an open dossier of theirs
EVERYONE = {"congdan", "congdan2", "canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru",
            "kiemtoan", "quantri", None}
UNKNOWN_CODE = "A" * 24
DOC = "/subjects/{owner}/documents/{doc}"

CASES = {
    # pages
    "views.pages.verify_code.verify_code_page": ("GET", "/verify/" + UNKNOWN_CODE, EVERYONE, {}),
    "views.pages.results.issue_result_view": ("POST", "/dossiers/{first}/result", {"xuly2"}, {}),
    "views.pages.results.copy_view": ("POST", DOC + "/copy", COPIERS, {}),
    "views.pages.results.copy_download": ("GET", DOC + "/copies/1", OWNER_ONLY, {}),
    "views.pages.results.revoke_copy_view": ("POST", DOC + "/copies/1/revoke", OWNER_ONLY, {}),
    "views.pages.mine.my_papers": ("GET", "/subjects/{owner}/papers", OWNER_ONLY, {}),
    "views.pages.mine.my_dossiers": ("GET", "/subjects/{owner}/dossiers", OWNER_ONLY, {}),
    # API
    "views.api.results.verify_code_api": ("GET", "/api/v1/verify/" + UNKNOWN_CODE, EVERYONE, {}),
    "views.api.results.issue_result_api": ("POST", "/api/v1/dossiers/{first}/result", {"xuly2"}, {}),
    "views.api.results.create_copy": ("POST", "/api/v1" + DOC + "/copies", COPIERS, {}),
    "views.api.results.list_copies": ("GET", "/api/v1" + DOC + "/copies", OWNER_ONLY, {}),
    "views.api.results.my_papers_api": ("GET", "/api/v1/subjects/{owner}/papers", OWNER_ONLY, {}),
    "views.api.results.my_dossiers_api": ("GET", "/api/v1/subjects/{owner}/dossiers", OWNER_ONLY, {}),
}
