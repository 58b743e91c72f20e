"""The root factory and request properties: the app root and the current user."""
from pyramid_zodbconn import get_connection

from repository.db import app_root


def root_factory(request):
    return app_root(get_connection(request))


def includeme(config):
    config.set_root_factory(root_factory)
    config.add_request_method(lambda r: root_factory(r), "kho_root", reify=True)
