"""The JSON API under /api/v1: the same resource tree as the pages, reached
by traversal behind one route, described by /api/v1/openapi.json."""
from views.addresses import API_PREFIX
from views.resources import root_factory


def includeme(config):
    config.add_route("api", API_PREFIX + "/*traverse", factory=root_factory)
