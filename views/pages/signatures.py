"""'Check a signature': anyone uploads a PDF and reads the verification report.
Nothing is stored; the file is read, checked and forgotten."""
from pyramid.view import view_config

from repository.errors import ValidationError
from repository.resources import Root

from ..verifying import verify_upload
from . import domain_message


@view_config(context=Root, name="verify", renderer="verify.jinja2", request_method="GET")
def verify_form(request):
    return {"report": None, "filename": None, "error": None}


@view_config(context=Root, name="verify", renderer="verify.jinja2", request_method="POST")
def verify_post(request):
    try:
        filename, report = verify_upload(request)
    except ValidationError as exc:
        request.response.status = 400
        return {"report": None, "filename": None,
                "error": domain_message(exc.errors["file"], request.locale_name)}
    return {"report": report, "filename": filename, "error": None}
