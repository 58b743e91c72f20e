"""The signed-in citizen's own pages: "My papers" (each paper, its validity,
where it came from, its signatures, download, electronic copies) and "My
dossiers" (states, due dates, timelines, receipts and results).

Both hang under the owner's warehouse (/subjects/<id>/papers, …/dossiers):
another citizen is refused by the warehouse's ACL and gets "not found"
(views.errors); staff, who have the warehouse page, get 403 here."""
from pyramid.view import view_config

from repository import roles as R
from repository import verification
from repository.resources import Warehouse

from ..owners import dossiers_of, owner_only, papers_of


@view_config(context=Warehouse, name="papers", permission=R.VIEW_WAREHOUSE, renderer="mine_papers.jinja2",
             request_method="GET")
def my_papers(context, request):
    owner_only(request, context)
    root = request.kho_root
    return {"warehouse": context, "papers": papers_of(root, context), "doctypes": root.catalogues.doctypes,
            "STATUS_LABELS": verification.STATUSES}


@view_config(context=Warehouse, name="dossiers", permission=R.VIEW_WAREHOUSE, renderer="mine_dossiers.jinja2",
             request_method="GET")
def my_dossiers(context, request):
    owner_only(request, context)
    return {"warehouse": context, "dossiers": dossiers_of(request.kho_root, context.subject_id)}
