"""The reception receipt (Form 01 of Decree 61/2018, "Giấy tiếp nhận hồ sơ
và hẹn trả kết quả") of a dossier: the data it prints, gathered from the
dossier, the catalogue, the accounts and the applicant's warehouse, and the
PDF signed with the agency key (the `copy` profile, top-right of page 1).

No Pyramid here: the caller passes the settings (signing keys, public URL)."""
import datetime

from . import verification
from .calendar import VN
from .consents import SYSTEM_NAME, public_url

RECEIPT_KIND = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
APPOINTMENT_TIME = datetime.time(16, 0)      # results are handed out in the afternoon of the due day
FORMS = {
    "digitized": "Bản chính (số hoá)",
    "certified_copy": "Bản sao chứng thực",
    "agency_result": "Bản điện tử",
    "uploaded": "Bản điện tử",
}
REUSED_FORM = "Bản điện tử"


def appointment_of(dossier):
    """The appointment: the due date at 16:00 Vietnam time (an aware datetime)."""
    return datetime.datetime.combine(dossier.due, APPOINTMENT_TIME, tzinfo=VN)


def reception_receipt_data(root, dossier, settings=None):
    """The dict repository.printing.reception_receipt_pdf prints for dossier:
    one row per attached paper, each marked reused (from the warehouse,
    attached by reference) or digitized at the desk."""
    settings = settings or {}
    catalogues = root.catalogues
    desk = catalogues.desks.get(dossier.desk)
    procedure = catalogues.procedures.get(dossier.procedure_code)
    applicant = root.subjects.get(dossier.applicant_id)
    officer = root.accounts.users.get(dossier.received_by)
    components = []
    for component in (procedure.components if procedure is not None else ()):
        for attachment in dossier.attachments(component.key):
            warehouse = root.subjects.get(attachment.owner_id)
            document = warehouse.documents.get(attachment.doc_id) if warehouse is not None else None
            name = component.name
            if document is not None:
                name += f": {document.name}" + (f" số {document.number}" if document.number else "")
            provenance = document.provenance if document is not None else "uploaded"
            components.append({
                "name": name,
                "form": REUSED_FORM if attachment.reused else FORMS.get(provenance, REUSED_FORM),
                "count": 1,
                "reused": bool(attachment.reused),
                "digitized": not attachment.reused and provenance == "digitized",
            })
    agency_name = desk.name if desk is not None else dossier.desk
    return {
        "agency_name": agency_name,
        "dossier_code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "procedure_name": procedure.name if procedure is not None else dossier.procedure_code,
        "received": dossier.received,
        "appointment": appointment_of(dossier),
        "applicant_name": applicant.name if applicant is not None else dossier.applicant_id,
        "applicant_id": dossier.applicant_id,
        "components": components,
        "return_place": agency_name,
        "officer_name": officer.fullname if officer is not None else dossier.received_by,
        "system": SYSTEM_NAME,
        "verify_url": public_url(settings) + "/verify",
        # the QR code: /verify/<code> and the printed fields (repository.verification)
        "qr_text": verification.qr_text(public_url(settings), verification.receipt_code(root, dossier),
                                        verification.receipt_fields(root, dossier)),
    }


def reception_receipt(root, dossier, settings):
    """The receipt as PDF bytes, signed with the agency key; its QR code opens
    the receipt's verification page (the code is made at reception, or at the
    first print of a dossier received before codes existed)."""
    from .printing import reception_receipt_pdf
    from .signatures import sign_as_agency
    return sign_as_agency(reception_receipt_pdf(reception_receipt_data(root, dossier, settings)),
                          settings, RECEIPT_KIND)
