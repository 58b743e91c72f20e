"""Verification shared by the pages and the API: a printed paper's QR code
looked up (/verify/<code>), an uploaded PDF's signatures checked."""
from repository import verification
from repository.errors import ValidationError
from repository.signatures import check_signatures, trust_roots

from .security import client_address
from .uploads import read_upload


def verify_lookup(request):
    """(status code, found or None, retry_after) for the route's code."""
    root = request.kho_root
    wait = verification.note_lookup(root, client_address(request))
    if wait:
        request.response.headers["Retry-After"] = str(wait)
        return 429, None, wait
    found = verification.lookup(root, request.matchdict.get("code", ""))
    return (200 if found else 404), found, 0


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
