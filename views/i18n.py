"""Vietnamese by default, English by a switch: gettext catalogs under views/locale.

`python -m views.i18n compile` turns the .po files into .mo files (make does it);
`python -m views.i18n check` lists template strings that lack a translation."""
import glob
import os
import re
import sys

from pyramid.httpexceptions import HTTPFound
from pyramid.i18n import default_locale_negotiator

HERE = os.path.dirname(__file__)
LOCALES = ("vi", "en")
DOMAIN = "kho"


def locale_negotiator(request):
    locale = default_locale_negotiator(request)   # ?_LOCALE_= or the _LOCALE_ cookie
    return locale if locale in LOCALES else request.registry.settings.get(
        "pyramid.default_locale_name", "vi")


def switch_language(request):
    code = request.matchdict["code"]
    from .public_url import local_path
    target = local_path(request.params.get("came_from")) or "/"
    response = HTTPFound(request.application_url + target)
    if code in LOCALES:
        from .headers import cookies_secure
        response.set_cookie("_LOCALE_", code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=cookies_secure(request.registry.settings))
    return response


def includeme(config):
    config.add_translation_dirs("views:locale")
    config.set_locale_negotiator(locale_negotiator)
    config.add_route("lang", "/lang/{code}")
    config.add_view(switch_language, route_name="lang", request_method="GET")


def _po_files():
    return glob.glob(os.path.join(HERE, "locale", "*", "LC_MESSAGES", DOMAIN + ".po"))


def compile_catalogs():
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po_path in _po_files():
        with open(po_path, "rb") as f:
            catalog = read_po(f)
        with open(po_path[:-3] + ".mo", "wb") as out:
            write_mo(out, catalog)


_MSG = re.compile(r"""_\(\s*(['"])(.+?)\1\s*[,)]""")


def template_messages():
    found = set()
    for path in glob.glob(os.path.join(HERE, "templates", "*.jinja2")) + glob.glob(
            os.path.join(HERE, "pages", "*.py")):
        with open(path, encoding="utf-8") as f:
            found.update(m.group(2) for m in _MSG.finditer(f.read()))
    return found


def missing_translations(locale="vi"):
    from babel.messages.pofile import read_po
    with open(os.path.join(HERE, "locale", locale, "LC_MESSAGES", DOMAIN + ".po"), "rb") as f:
        catalog = read_po(f)
    have = {m.id for m in catalog if m.id and m.string}
    return sorted(template_messages() - have)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "compile":
        compile_catalogs()
    elif command == "check":
        missing = missing_translations()
        print("\n".join(missing) or "all strings translated")
        sys.exit(1 if missing else 0)
