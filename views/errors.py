"""Refusals as a person or a program expects them: JSON under /api, pages elsewhere.

An exception view's response makes pyramid_tm abort the transaction, so a
refusal never leaves a half-written object."""
from pyramid.csrf import BadCSRFToken
from pyramid.renderers import render_to_response
from pyramid.httpexceptions import HTTPClientError, HTTPFound
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from repository.errors import Conflict, Refused, ValidationError
from repository.visibility import hidden_from

from .messages import domain_message


def is_api(request):
    return request.path.startswith("/api/")


def json_error(request, status, code, message, errors=None):
    """The JSON body of a refusal: a stable code, and the message (and the
    per-field errors) in the request's language only, never a
    "Vietnamese / English" pair."""
    request.response.status = status
    locale = request.locale_name
    body = {"error": code, "message": domain_message(message, locale)}
    if errors:
        body["errors"] = {k: domain_message(v, locale) for k, v in errors.items()}
    return body


def error_page(request, status, message):
    """The error page, rendered with the request's response (so its status holds);
    a domain message shows in the request's language only."""
    request.response.status = status
    message = domain_message(message, request.locale_name)
    return render_to_response("error.jinja2", {"title": str(status), "message": message},
                              request=request, response=request.response)


@forbidden_view_config(renderer="json")
def forbidden(exc, request):
    """401 (API) or the log-in page for anonymous requests; for a citizen
    refused a warehouse, paper, dossier, consent or reuse request that is not
    theirs, the not-found answer, so that they cannot tell it exists
    (repository.visibility.hidden_from); 403 for everyone else."""
    if request.user is None:
        if is_api(request):
            request.response.headers["WWW-Authenticate"] = 'Bearer realm="kho"'
            return json_error(request, 401, "unauthenticated", "Cần đăng nhập / authentication required")
        return HTTPFound(request.application_url + "/login?came_from=" + request.path_qs)
    if hidden_from(getattr(request, "context", None), request.user):
        return notfound(exc, request)
    if is_api(request):
        return json_error(request, 403, "forbidden", "Không có quyền / not allowed")
    return error_page(request, 403, "Bạn không có quyền xem trang này. / You may not see this page.")


@notfound_view_config(renderer="json")
def notfound(exc, request):
    """The same answer for what does not exist, what was deleted (for all but
    records managers) and what a citizen may not know of."""
    if is_api(request):
        return json_error(request, 404, "not_found", "Không tìm thấy / not found")
    return error_page(request, 404, "Không tìm thấy trang này. / This page does not exist.")


@exception_view_config(ValidationError, renderer="json")
def invalid(exc, request):
    if is_api(request):
        return json_error(request, 400, "invalid", "Dữ liệu không hợp lệ / invalid input", exc.errors)
    return error_page(request, 400, str(exc))


@exception_view_config(Refused, renderer="json")
def refused(exc, request):
    if is_api(request):
        return json_error(request, 403, exc.code, str(exc))
    return error_page(request, 403, str(exc))


@exception_view_config(Conflict, renderer="json")
def conflict(exc, request):
    if is_api(request):
        return json_error(request, 409, "conflict", str(exc))
    return error_page(request, 409, str(exc))


@exception_view_config(BadCSRFToken, renderer="json")
def bad_csrf(exc, request):
    if is_api(request):
        return json_error(request, 400, "csrf", "Thiếu hoặc sai mã CSRF / missing or wrong CSRF token")
    return error_page(request, 400, "Phiên làm việc đã hết hạn, hãy tải lại trang và thử lại. / "
                                    "The session has expired: reload the page and try again.")


@exception_view_config(HTTPClientError, renderer="json")
def client_error(exc, request):
    """Other 4xx raised by views (413, 415, 409, …): JSON for the API."""
    if is_api(request):
        return json_error(request, exc.code, exc.title.lower().replace(" ", "_"),
                          exc.detail or STATUS_MESSAGES.get(exc.code) or exc.title)
    for header in ("Retry-After", "Allow", "WWW-Authenticate"):
        if header in exc.headers:
            request.response.headers[header] = exc.headers[header]
    return error_page(request, exc.code, exc.detail or STATUS_MESSAGES.get(exc.code) or exc.title)


# what a bare HTTP refusal says to a person (pyramid's titles are English)
STATUS_MESSAGES = {
    400: "Yêu cầu không hợp lệ / bad request",
    404: "Không tìm thấy / not found",
    405: "Phương thức không được phép / method not allowed",
    409: "Xung đột với trạng thái hiện tại / conflict",
    410: "Không còn nữa / gone",
    413: "Tệp hoặc yêu cầu quá lớn / request too large",
    415: "Loại nội dung không được hỗ trợ / unsupported media type",
    422: "Dữ liệu không xử lý được / unprocessable input",
    429: "Quá nhiều yêu cầu, hãy thử lại sau / too many requests",
}


def includeme(config):
    pass
