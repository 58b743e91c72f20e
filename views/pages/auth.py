"""Log-in and log-out with a session cookie (a server-side session, see
views.security): log-in is throttled by account and by address and audited
(repository.accounts.log_in); log-out ends the session everywhere."""
from pyramid.httpexceptions import HTTPFound
from pyramid.security import forget, remember
from pyramid.view import view_config

from repository.accounts import LoginThrottled, log_in, log_out
from repository.resources import Root
from repository.roles import CITIZEN, STAFF

from ..security import client_address, login_limits
from . import _, translate


def home_for(request, user):
    if CITIZEN in user.roles:
        return request.resource_url(request.kho_root.subjects[user.subject_id]) \
            if user.subject_id in request.kho_root.subjects else request.application_url + "/"
    if set(STAFF) & user.roles:
        return request.application_url + "/desk"
    return request.application_url + "/"


def safe_came_from(request):
    """A path on this site to return to after log-in, or None (views.public_url.local_path)."""
    from ..public_url import local_path
    return local_path(request.params.get("came_from", ""))


@view_config(context=Root, name="login", renderer="login.jinja2", require_csrf=False)
def login(request):
    error = None
    username = ""
    if request.method == "POST":
        from pyramid.csrf import check_csrf_token
        check_csrf_token(request)
        username = request.POST.get("username", "").strip()
        try:
            user = log_in(request.kho_root, username, request.POST.get("password", ""),
                          client_address(request), "page", login_limits(request.registry.settings))
        except LoginThrottled as exc:
            user = None
            error = translate(request, _("Too many failed log-ins. Try again in ${minutes} minutes.",
                                         mapping={"minutes": exc.minutes}))
            request.response.status = 429
            request.response.headers["Retry-After"] = str(exc.retry_after)
        else:
            if user is not None:
                headers = remember(request, user.username)
                target = safe_came_from(request)
                return HTTPFound(request.application_url + target if target else home_for(request, user),
                                 headers=headers)
            error = "Sai tên đăng nhập hoặc mật khẩu."
            request.response.status = 400
    return {"error": error, "username": username, "came_from": safe_came_from(request) or ""}


@view_config(context=Root, name="logout", request_method="POST")
def logout(request):
    log_out(request.kho_root, request.user, request.session.id)
    return HTTPFound(request.application_url + "/login", headers=forget(request))


@view_config(context=Root, renderer="home.jinja2")
def home(request):
    if request.user is None:
        return HTTPFound(request.application_url + "/login")
    if CITIZEN in request.user.roles or set(STAFF) & request.user.roles:
        return HTTPFound(home_for(request, request.user))
    return {}
