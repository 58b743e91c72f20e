"""Malformed requests end in a 400, never a 500: one check before any view.

WebOb parses the query string, the form body and the path lazily, and raises
when it cannot: a multipart body without a boundary (ValueError), bytes that
are not UTF-8 in the path or the query (UnicodeDecodeError), a form in
another charset (DeprecationWarning, raised). Whoever touched request.params
first (the CSRF check, the log-in form, the locale negotiator, an upload)
would then fail with a 500, even for an anonymous request. This tween, just
above the main handler (so below the exception views), asks for each of
them once; when one fails it puts an empty value in its place (so the error
view and anything it renders can read the request safely) and raises
HTTPBadRequest, which views.errors answers with JSON under /api and a page
elsewhere. A cookie that cannot be read is dropped instead: a browser would
send it again and again, and the person would be locked out.

A form body is read here only up to the upload limit (a larger one is
refused by the upload views from its length, before it is read); its
boundary and charset are checked whatever its size.
"""
import codecs
import re

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.tweens import MAIN
from webob.compat import parse_header
from webob.multidict import GetDict, MultiDict


def _latin1_utf8(value):
    """A WSGI string (bytes as latin-1) whose bytes are not UTF-8, repaired."""
    return value.encode("latin-1").decode("utf-8", "replace").encode("utf-8").decode("latin-1")


def check_request(request):
    """The problems of the request, as messages; each failing part replaced by an empty one."""
    environ = request.environ
    problems = []
    try:
        request.path_info
    except UnicodeDecodeError:
        environ["PATH_INFO"] = _latin1_utf8(environ.get("PATH_INFO", ""))
        problems.append("Đường dẫn không phải UTF-8 / the path is not UTF-8")
    try:
        request.GET
    except ValueError:                       # UnicodeDecodeError is a ValueError
        environ["webob._parsed_query_vars"] = (GetDict([], environ), environ.get("QUERY_STRING", ""))
        problems.append("Tham số trên đường dẫn không phải UTF-8 / the query string is not UTF-8")
    try:
        request.cookies.items()
    except ValueError:
        environ.pop("HTTP_COOKIE", None)
    problem = _charset_problem(request) or _boundary_problem(request)
    if problem:
        environ["webob._parsed_post_vars"] = (MultiDict(), request.body_file_raw)
        problems.append(problem)
    elif (request.content_length or 0) <= _largest_form(request):
        try:
            request.POST                     # WebOb reads a form body whatever the method
        except (ValueError, LookupError, DeprecationWarning) as exc:
            environ["webob._parsed_post_vars"] = (MultiDict(), request.body_file_raw)
            problems.append(_form_problem(request, exc))
    # a larger body is left unread: the upload views refuse it by its length
    # before reading it (views.uploads), and its boundary was checked above
    return problems


_BOUNDARY = re.compile(r"[ -~]{0,200}[!-~]\Z")      # what WebOb's parser (cgi) accepts


def _boundary_problem(request):
    if request.content_type != "multipart/form-data":
        return None
    _, params = parse_header(request.headers.get("Content-Type", ""))    # as WebOb reads it
    if _BOUNDARY.match(params.get("boundary", "")):
        return None
    return ("Biểu mẫu multipart/form-data thiếu hoặc sai boundary / "
            "a multipart/form-data body needs a valid boundary")


def _largest_form(request):
    from .uploads import MULTIPART_SLACK, max_upload_bytes
    return max_upload_bytes(request) + MULTIPART_SLACK


def _charset_problem(request):
    """Bodies are UTF-8 (forms and JSON alike): another charset is refused."""
    if "charset" not in request.headers.get("Content-Type", "").lower():
        return None
    charset = request.charset
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        name = None
    if name in ("utf-8", "ascii"):
        return None
    return f"Nội dung phải mã hoá UTF-8, không phải {charset!r} / the body must be UTF-8, not {charset!r}"


def _form_problem(request, exc):
    if request.content_type == "multipart/form-data" and "boundary" in str(exc):
        return ("Biểu mẫu multipart/form-data thiếu hoặc sai boundary / "
                "a multipart/form-data body needs a valid boundary")
    return "Biểu mẫu không đọc được / the form body cannot be read"


def _join_problems(problems):
    """'vi; vi / en; en' from 'vi / en' messages, so that one language is shown."""
    pairs = [p.rpartition(" / ") for p in problems]
    if all(sep for _, sep, _ in pairs):
        return "; ".join(h for h, _, _ in pairs) + " / " + "; ".join(t for _, _, t in pairs)
    return "; ".join(problems)


def input_guard_tween_factory(handler, registry):
    def input_guard(request):
        problems = check_request(request)
        if problems:
            raise HTTPBadRequest(_join_problems(problems))
        return handler(request)
    return input_guard


def includeme(config):
    config.add_tween("views.input.input_guard_tween_factory", over=MAIN)
