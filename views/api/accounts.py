"""Who am I, and bearer tokens for programs."""
from pyramid.view import view_config

from repository import roles as R
from repository.accounts import issue_token
from repository.resources import Root

from .helpers import json_body


@view_config(route_name="api", context=Root, name="me", request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def me(request):
    return request.user.as_dict()


@view_config(route_name="api", context=Root, name="tokens", request_method="POST",
             renderer="json", require_csrf=False)
def create_token(request):
    """Exchange a username and password for a bearer token (shown once)."""
    body = json_body(request)
    user = request.kho_root.accounts.authenticate(str(body.get("username", "")),
                                                  str(body.get("password", "")))
    if user is None:
        request.response.status = 401
        return {"error": "unauthenticated", "message": "Sai tên đăng nhập hoặc mật khẩu / wrong credentials"}
    label = str(body.get("label", ""))[:80]
    token = issue_token(request.kho_root, user.username, user, label)
    request.response.status = 201
    return {"token": token, "username": user.username}


