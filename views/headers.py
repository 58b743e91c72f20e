"""The security headers of every response, and whether cookies are Secure.

A NewResponse subscriber adds, to every response the app makes (pages, the
JSON API, files, redirects, error pages):

- Content-Security-Policy: no inline script and nothing from another origin
  (`script-src 'self'`), no framing (`frame-ancestors 'none'`), no plugins,
  no <base>, forms post only to this origin. Styles come from the style
  sheet; `style-src-attr 'unsafe-inline'` lets the computed position boxes
  of the page images (search matches, unsure OCR words: style="left:…%")
  through, while <style> elements and style sheets from elsewhere stay
  blocked. A style attribute cannot run script nor read the page.
- X-Content-Type-Options: nosniff, Referrer-Policy: same-origin (addresses
  carry personal ids: they never leave for another site), X-Frame-Options:
  DENY (for browsers without frame-ancestors), and Strict-Transport-Security
  when kho.public_url is https.
- Cache-Control: no-store on everything but the static files and the OpenAPI
  document: every other page, JSON answer and file either holds personal
  data or carries the signed-in header and a CSRF token.

A view that set its own policy keeps it (the confirmation page sets a
stricter CSP and no-referrer); a view that allowed caching of personal data
(e.g. "private, max-age=…" on a page image) is overridden with no-store.
"""
import logging
from urllib.parse import urlsplit

from pyramid.events import NewResponse
from pyramid.settings import asbool

log = logging.getLogger(__name__)

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
REFERRER_POLICY = "same-origin"
HSTS = "max-age=31536000"
NO_STORE = "no-store"
STATIC_PREFIX = "/static/"
CACHEABLE_PATHS = frozenset({"/api/v1/openapi.json"})   # public, the same for everyone
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def cookies_secure(settings):
    """Whether cookies (the session, _LOCALE_) carry the Secure flag:
    kho.secure_cookies when it is set (true/false), else whether
    kho.public_url is https."""
    explicit = (settings.get("kho.secure_cookies") or "").strip()
    if explicit:
        return asbool(explicit)
    return _public_scheme(settings) == "https"


def _public_scheme(settings):
    return urlsplit((settings.get("kho.public_url") or "").strip()).scheme.lower()


def cacheable(request):
    """Public responses that hold nothing personal: the static files and the
    OpenAPI document. Everything else is no-store."""
    path = request.path_info
    return path.startswith(STATIC_PREFIX) or path in CACHEABLE_PATHS


def guard(response, request, hsts=False):
    """Add the headers a response lacks; keep what the view set, unless it
    lets a cache keep personal data."""
    headers = response.headers
    for name, value in (("Content-Security-Policy", CSP),
                        ("X-Content-Type-Options", "nosniff"),
                        ("Referrer-Policy", REFERRER_POLICY),
                        ("X-Frame-Options", "DENY")):
        if name not in headers:
            headers[name] = value
    if hsts and "Strict-Transport-Security" not in headers:
        headers["Strict-Transport-Security"] = HSTS
    if not cacheable(request) and NO_STORE not in (headers.get("Cache-Control") or "").lower():
        headers["Cache-Control"] = NO_STORE
        headers.pop("Expires", None)
        headers["Pragma"] = "no-cache"
    return response


def includeme(config):
    settings = config.get_settings()
    hsts = _public_scheme(settings) == "https"
    public = urlsplit((settings.get("kho.public_url") or "").strip())
    if public.scheme == "http" and public.hostname not in LOCAL_HOSTS and not cookies_secure(settings):
        log.warning("kho.public_url is %s: the session cookie travels in clear; serve the app over "
                    "https (or set kho.secure_cookies = true behind a TLS proxy)", public.geturl())

    def add_headers(event):
        guard(event.response, event.request, hsts)

    config.add_subscriber(add_headers, NewResponse)
