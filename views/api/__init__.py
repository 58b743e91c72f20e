"""The JSON API under /api/v1: the same resource tree as the pages, reached
by traversal behind one route, described by /api/v1/openapi.json."""
from views.resources import root_factory

API_PREFIX = "/api/v1"


def includeme(config):
    config.add_route("api", API_PREFIX + "/*traverse", factory=root_factory)
