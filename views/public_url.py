"""The app's public address comes from the settings, never from the request.

`kho.public_url` (e.g. `https://kho.laocai.gov.vn` or `http://127.0.0.1:6543`)
is the address people and programs use. A tween at the very top of the
chain writes its scheme, host and port (and path prefix, if any) into every
request's WSGI environ before anything else reads them, so
request.application_url, resource_url, route_url and the Location of every
redirect name the configured address whatever Host header was sent; a forged
Host can neither send a person to another site after log-in nor plant links
in API answers.

Without the setting (a development set-up that never named one) the Host
header is used as before, and a warning says so at start.

`local_path(value)` is the one rule for a redirect target taken from a
request (`came_from`): a path on this site, or None.
"""
import functools
import logging
import re
from urllib.parse import quote, urlsplit

from pyramid.exceptions import ConfigurationError
from pyramid.tweens import INGRESS

log = logging.getLogger(__name__)

SETTING = "kho.public_url"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# control characters (CR/LF would split a header) and the backslash that
# browsers read as a slash ("/\evil.example" is "//evil.example" to them)
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def parse_public_url(value):
    """'https://host[:port][/prefix]' → (scheme, host, port, prefix); ConfigurationError otherwise."""
    parts = urlsplit((value or "").strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port == -1 \
            or parts.query or parts.fragment or parts.username or parts.password \
            or _UNSAFE_IN_PATH.search(parts.path) or " " in parts.path:
        raise ConfigurationError(
            f"{SETTING} = {value!r}: expected the app's public address, e.g. https://kho.example.gov.vn "
            "or http://127.0.0.1:6543 (scheme, host, optional port and path prefix; no query)")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return parts.scheme, host, str(port or _DEFAULT_PORTS[parts.scheme]), parts.path.rstrip("/")


class PublicAddress:
    """The parsed setting, applied to a WSGI environ."""

    def __init__(self, value):
        self.value = value
        self.scheme, self.host, self.port, self.prefix = parse_public_url(value)
        default = self.port == _DEFAULT_PORTS[self.scheme]
        self.http_host = self.host if default else f"{self.host}:{self.port}"

    def apply(self, environ):
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.http_host
        environ["SERVER_NAME"] = self.host.strip("[]")
        environ["SERVER_PORT"] = self.port
        if self.prefix:
            path = environ.get("PATH_INFO", "")
            if path == self.prefix or path.startswith(self.prefix + "/"):
                environ["PATH_INFO"] = path[len(self.prefix):]   # a proxy that kept the prefix
            environ["SCRIPT_NAME"] = self.prefix
        else:
            environ["SCRIPT_NAME"] = ""


def public_address(registry):
    """The PublicAddress of the settings, or None when kho.public_url is not set.

    Read from the settings on each call (parsed once per value), so a test
    server that learns its port after the app is built can still set it."""
    value = (registry.settings.get(SETTING) or "").strip()
    return _parsed(value) if value else None


@functools.lru_cache(maxsize=16)
def _parsed(value):
    return PublicAddress(value)


def public_url_tween_factory(handler, registry):
    def public_url_tween(request):
        address = public_address(registry)
        if address is not None:
            address.apply(request.environ)
        return handler(request)
    return public_url_tween


def local_path(value):
    """`value` if it is a path on this site, made safe for a Location header
    (non-ASCII percent-encoded); None for anything else: another site
    ('//host', '/\\host', 'http:…'), a control character (CR/LF)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") \
            or _UNSAFE_IN_PATH.search(value):
        return None
    return quote(value, safe="/?&=%#:;@!$'()*+,~-._[]")


def includeme(config):
    settings = config.get_settings()
    if (settings.get(SETTING) or "").strip():
        parse_public_url(settings[SETTING])          # a wrong value stops the start, with its reason
    else:
        log.warning("%s is not set: links and redirects follow the request's Host header; "
                    "set it to the address people use (see production.ini)", SETTING)
    config.add_tween("views.public_url.public_url_tween_factory", under=INGRESS)
