"""Who am I; bearer tokens for programs (issue, list, revoke); password
changes and, for administrators, the end of an account's sessions."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import remember
from pyramid.view import view_config

from repository import roles as R
from repository.accounts import (AccountError, LoginThrottled, TokenNotFound, change_password, end_sessions,
                                 issue_token, list_tokens, log_in, revoke_token)
from repository.errors import ValidationError
from repository.resources import Root

from ..security import client_address, login_limits, token_days
from .helpers import csrf_unless_token, json_body, optional_json_body
from ..messages import domain_message


@view_config(route_name="api", context=Root, name="me", request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def me(request):
    return request.user.as_dict()


def _days(body, settings):
    most = token_days(settings)
    days = body.get("days", most)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= most:
        raise ValidationError({"days": f"Số ngày từ 1 đến {most} / a whole number of days from 1 to {most}"})
    return days


@view_config(route_name="api", context=Root, name="tokens", request_method="POST",
             renderer="json", require_csrf=False)
def create_token(request):
    """Exchange a username and password for a bearer token (shown once),
    valid for kho.token.days (or fewer: "days"). Throttled like the log-in
    page: 429 with Retry-After."""
    body = json_body(request)
    days = _days(body, request.registry.settings)
    try:
        user = log_in(request.kho_root, str(body.get("username", "")), str(body.get("password", "")),
                      client_address(request), "token", login_limits(request.registry.settings))
    except LoginThrottled as exc:
        request.response.status = 429
        request.response.headers["Retry-After"] = str(exc.retry_after)
        return {"error": "throttled", "message": domain_message(str(exc), request.locale_name)}
    if user is None:
        request.response.status = 401
        return {"error": "unauthenticated",
                "message": domain_message("Sai tên đăng nhập hoặc mật khẩu / wrong credentials", request.locale_name)}
    label = str(body.get("label", ""))[:80]
    token = issue_token(request.kho_root, user.username, user, label, days=days)
    entry = request.kho_root.accounts.token_entry(token)
    request.response.status = 201
    return {"token": token, "username": user.username, "id": entry["id"],
            "expires": entry["expires"].isoformat()}


@view_config(route_name="api", context=Root, name="tokens", request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def list_api_tokens(request):
    """The caller's tokens (an administrator: ?user=NAME for another's),
    without their secrets."""
    if request.subpath:
        raise HTTPNotFound()
    username = request.GET.get("user") or None
    items = list_tokens(request.kho_root, request.user, username)
    return {"items": items, "total": len(items)}


@view_config(route_name="api", context=Root, name="tokens", request_method="DELETE",
             permission=R.VIEW_CATALOGUES, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def revoke_api_token(request):
    """Revoke a token by its id: its owner or an administrator; 404 for
    any other (as if it did not exist)."""
    if len(request.subpath) != 1:
        raise HTTPNotFound()
    try:
        entry = revoke_token(request.kho_root, request.subpath[0], request.user)
    except TokenNotFound:
        raise HTTPNotFound() from None
    return dict(entry, revoked=True)


@view_config(route_name="api", context=Root, name="password", request_method="POST",
             permission=R.VIEW_CATALOGUES, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def change_own_password(request):
    """The caller changes their password (the current one is checked as a
    log-in is); every session of the account ends, and a browser gets a
    new one."""
    body = json_body(request)
    old, new = body.get("old_password"), body.get("new_password")
    errors = {field: "Cần một chuỗi / a string is required"
              for field, value in (("old_password", old), ("new_password", new)) if not isinstance(value, str)}
    if errors:
        raise ValidationError(errors)
    user = request.user
    try:
        ended = change_password(request.kho_root, user.username, new, user, old_password=old,
                                address=client_address(request), limits=login_limits(request.registry.settings))
    except LoginThrottled as exc:
        request.response.status = 429
        request.response.headers["Retry-After"] = str(exc.retry_after)
        return {"error": "throttled", "message": domain_message(str(exc), request.locale_name)}
    if not request.via_token:
        remember(request, user.username)
    return {"username": user.username, "sessions_ended": ended}


@view_config(route_name="api", context=Root, name="users", request_method="POST",
             permission=R.MANAGE_ACCOUNTS, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def end_user_sessions(request):
    """POST /users/{username}/logout (administrators): end every session of
    the account at once; {"tokens": true} revokes its API tokens too."""
    if len(request.subpath) != 2 or request.subpath[1] != "logout":
        raise HTTPNotFound()
    body = optional_json_body(request)
    tokens = body.get("tokens", False)
    if not isinstance(tokens, bool):
        raise ValidationError({"tokens": "true hoặc false / true or false"})
    try:
        ended, revoked = end_sessions(request.kho_root, request.subpath[0], request.user, tokens=tokens)
    except AccountError:
        raise HTTPNotFound() from None
    return {"username": request.subpath[0], "sessions_ended": ended, "tokens_revoked": revoked}
