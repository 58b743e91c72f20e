"""Log-in and log-out with a session cookie."""
from pyramid.httpexceptions import HTTPFound
from pyramid.security import forget, remember
from pyramid.view import view_config

from repository.resources import Root
from repository.roles import CITIZEN, STAFF


def home_for(request, user):
    if CITIZEN in user.roles:
        return request.resource_url(request.kho_root.subjects[user.subject_id]) \
            if user.subject_id in request.kho_root.subjects else request.application_url + "/"
    if set(STAFF) & user.roles:
        return request.application_url + "/desk"
    return request.application_url + "/"


def safe_came_from(request):
    target = request.params.get("came_from", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@view_config(context=Root, name="login", renderer="login.jinja2", require_csrf=False)
def login(request):
    error = None
    username = ""
    if request.method == "POST":
        from pyramid.csrf import check_csrf_token
        check_csrf_token(request)
        username = request.POST.get("username", "").strip()
        user = request.kho_root.accounts.authenticate(username, request.POST.get("password", ""))
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
    return HTTPFound(request.application_url + "/login", headers=forget(request))


@view_config(context=Root, renderer="home.jinja2")
def home(request):
    if request.user is None:
        return HTTPFound(request.application_url + "/login")
    if CITIZEN in request.user.roles or set(STAFF) & request.user.roles:
        return HTTPFound(home_for(request, request.user))
    return {}
