"""The Pyramid web layer: app factory, security, pages and the JSON API.

It wires the repository (ZODB) to the libraries (ocr, signing, search); all
storage comes from the zodburi settings, so the same code runs on a
FileStorage, on ZEO or on RelStorage."""
import os

from pyramid.config import Configurator

from .security import ServerSessionFactory

DEFAULTS = {
    "jinja2.i18n.domain": "kho",
    "jinja2.filters": "",
    "retry.attempts": "10",
    "tm.manager_hook": "pyramid_tm.explicit_manager",
    "kho.upload.max_bytes": str(50 * 1024 * 1024),
    "pyramid.default_locale_name": "vi",
}


def main(global_config=None, **settings):
    """The WSGI app, as pserve builds it from an ini file."""
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    with Configurator(settings=settings) as config:
        config.include("pyramid_tm")
        config.include("pyramid_retry")
        config.include("pyramid_zodbconn")
        config.include("pyramid_jinja2")
        config.include(".services")
        config.add_jinja2_renderer(".jinja2")
        config.add_jinja2_search_path("views:templates")
        config.set_session_factory(ServerSessionFactory(_secret(settings), settings))
        config.set_default_csrf_options(require_csrf=True)
        config.include(".security")
        config.include(".i18n")
        config.include(".resources")
        config.include(".public_url")
        config.include(".input")
        config.include(".headers")
        config.include(".errors")
        config.include(".retries")
        config.include(".pages")
        config.include(".api")
        config.add_static_view("static", "views:static", cache_max_age=3600)
        config.scan(".", ignore=["views.i18n"])
        app = config.make_wsgi_app()
    from .startup import prepare_database, start_audit_sealer, start_ocr_worker, start_search
    prepare_database(app.registry)
    start_search(app.registry)
    start_ocr_worker(app.registry)
    start_audit_sealer(app.registry)
    from .startup import start_retention
    start_retention(app.registry)
    return app


def _secret(settings):
    secret_file = settings.get("kho.secret_file")
    if settings.get("kho.session_secret"):
        return settings["kho.session_secret"]
    if secret_file and os.path.exists(secret_file):
        with open(secret_file) as f:
            return f.read().strip()
    raise RuntimeError(
        "No session secret: run `kho setup` (it writes kho.secret_file) or set kho.session_secret")
