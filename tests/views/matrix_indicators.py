"""The route × role table of the indicators views, in the format of CASES in
test_security_matrix.py (view callable → (method, path template, who may,
extra params)), over the reuse world (tests/reuse_world.py).

The dashboard, its CSV and the API: the records manager, the auditor and the
administrator (every unit), desk and processing staff (their own unit);
citizens are refused (403: nothing personal is named)."""

STAFF = {"canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru"}
VIEWERS = STAFF | {"kiemtoan", "quantri"}

CASES = {
    "views.pages.indicators.indicators_page": ("GET", "/indicators", VIEWERS, {}),
    "views.pages.indicators.indicators_csv": ("GET", "/indicators.csv", VIEWERS, {"period": "year"}),
    "views.api.indicators.indicators_api": ("GET", "/api/v1/indicators", VIEWERS, {"level": "agency"}),
    "views.api.indicators.indicators_csv_api": ("GET", "/api/v1/indicators.csv", VIEWERS, {}),
}
