"""The route × role table of the account views (views/api/accounts.py:
tokens, password, the end of an account's sessions), in the format of CASES
in test_security_matrix.py: view → (method, path template, who may, params).

Params are chosen so that allowed accounts get 2xx, 400 or 404 and change
nothing that later cases rely on: the token to revoke does not exist (404),
the current password given is wrong (400), and the administrator ends the
sessions of the auditor, whom no page case needs afterwards."""
CITIZENS = {"congdan", "congdan2"}
STAFF = {"canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru"}
SIGNED_IN = CITIZENS | STAFF | {"kiemtoan", "quantri"}

CASES = {
    "views.api.accounts.list_api_tokens": ("GET", "/api/v1/tokens", SIGNED_IN, {}),
    "views.api.accounts.revoke_api_token": ("DELETE", "/api/v1/tokens/0000000000", SIGNED_IN, {}),
    "views.api.accounts.change_own_password": ("POST", "/api/v1/password", SIGNED_IN,
                                               {"old_password": "sai-mat-khau", "new_password": "mat-khau-moi-1"}),
    "views.api.accounts.end_user_sessions": ("POST", "/api/v1/users/kiemtoan/logout", {"quantri"}, {}),
}
