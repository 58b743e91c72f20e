"""POST /api/v1/verify: the verification report of an uploaded PDF, as JSON."""
from pyramid.view import view_config

from repository.resources import Root

from ..verifying import verify_upload


@view_config(route_name="api", context=Root, name="verify", request_method="POST",
             renderer="json", require_csrf=False)
def verify(request):
    filename, report = verify_upload(request)
    return dict(report, filename=filename)
