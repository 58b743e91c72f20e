"""Addresses shared by the pages and the API."""

API_PREFIX = "/api/v1"


def api_url(request, resource, *elements):
    """The API address of a resource (the same tree, under /api/v1)."""
    return request.application_url + API_PREFIX + request.resource_path(resource, *elements)
