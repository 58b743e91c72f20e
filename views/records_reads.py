"""What the records console's page and API share: a records manager seeing
persons' names and papers in a list (the review queue, the persons'
requests) is a metadata read, audited under each owner."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from repository import retention
from repository.reading import record_metadata_read


def note_seen(root, user, owners, what):
    """One `read_metadata` entry (purpose retention_review) per owner listed."""
    for owner in sorted({o for o in owners if o}):
        record_metadata_read(root, user, owner, purpose="retention_review", detail={"seen": what})


def certificate_response(request):
    """The disposition certificate named in the route, as a PDF download (404
    for an unknown one)."""
    certificate = retention.state_of(request.kho_root).certificates.get(request.matchdict["certificate"])
    if certificate is None:
        raise HTTPNotFound()
    response = Response(body=certificate.pdf_bytes(), content_type="application/pdf")
    response.content_disposition = f'attachment; filename="{certificate.id}.pdf"'
    return response
