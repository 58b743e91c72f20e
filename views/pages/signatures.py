"""'Check a signature': anyone uploads a PDF and reads the verification report.
Nothing is stored; the file is read, checked and forgotten."""
from pyramid.view import view_config

from repository.errors import ValidationError
from repository.resources import Root
from repository.signatures import check_signatures, trust_roots

from ..uploads import read_upload
from . import domain_message


def verify_upload(request):
    """(filename, report) for the uploaded PDF; ValidationError for anything else."""
    data, filename = read_upload(request)
    if not data.startswith(b"%PDF-"):
        raise ValidationError({"file": "Chỉ kiểm tra được tệp PDF / only PDF files can be checked"})
    report = check_signatures(data, trust_roots(request.registry.settings))
    if report is None:
        from signing.verify import message
        report = {"ok": False, "signatures": [], "verdict": "unsigned",
                  "problems": ["the document has no signature"],
                  "problem_messages": [message("problem.unsigned")]}
    return filename, report


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
