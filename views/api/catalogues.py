"""Catalogues: read by any signed-in account, changed by administrators.

POST /catalogues/{catalogue} adds or replaces one entry, written in the
catalogue file's format (repository/data/demo-catalogue.yaml) and checked
by the same code as `kho catalogue load` (repository.catalogue_file)."""
from pyramid.view import view_config

from repository import roles as R
from repository.catalogue_file import load_one
from repository.catalogues import (CatalogueFolder, Desk, DocumentType, Holiday, Procedure,
                                   RetentionSchedule)

from .helpers import csrf_unless_token, json_body


@view_config(route_name="api", context=CatalogueFolder, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def list_catalogue(context, request):
    return {"items": [item.as_dict() for item in context.values()], "total": len(context)}


@view_config(route_name="api", context=CatalogueFolder, request_method="POST",
             permission=R.MANAGE_CATALOGUES, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def put_entry(context, request):
    """Add (201) or replace (200) one entry of the catalogue."""
    before = len(context)
    entry = load_one(request.kho_root, context.__name__, json_body(request), request.user)
    request.response.status = 201 if len(context) > before else 200
    return entry.as_dict()


@view_config(route_name="api", context=DocumentType, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
@view_config(route_name="api", context=Procedure, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
@view_config(route_name="api", context=Desk, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
@view_config(route_name="api", context=RetentionSchedule, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
@view_config(route_name="api", context=Holiday, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def get_entry(context, request):
    return context.as_dict()
