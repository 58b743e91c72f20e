"""Roles, principals and permissions: the vocabulary the ACLs speak.

The web layer maps a logged-in account to principals with `principals_for`;
the resources hold ACLs written in these names."""

CITIZEN = "citizen"
OFFICER = "officer"
POSTAL = "postal"
PROCESSOR = "processor"
RECORDS = "records"
AUDITOR = "auditor"
ADMIN = "admin"

ROLES = {
    CITIZEN: "Công dân / tổ chức",
    OFFICER: "Cán bộ một cửa",
    POSTAL: "Nhân viên bưu điện",
    PROCESSOR: "Cán bộ xử lý",
    RECORDS: "Cán bộ lưu trữ",
    AUDITOR: "Kiểm toán viên",
    ADMIN: "Quản trị viên",
}
STAFF = (OFFICER, POSTAL, PROCESSOR, RECORDS)
RECEPTION = (OFFICER, POSTAL)

# permissions
VIEW_CATALOGUES = "view_catalogues"
MANAGE_CATALOGUES = "manage_catalogues"
MANAGE_ACCOUNTS = "manage_accounts"
READ_AUDIT = "read_audit"
DESK = "desk"                      # open warehouses by id at a desk
CREATE_SUBJECT = "create_subject"
LIST_SUBJECTS = "list_subjects"
VIEW_WAREHOUSE = "view_warehouse"  # metadata of the warehouse and its documents
READ_CONTENT = "read_content"      # the files themselves (staff: with a purpose)
ADD_DOCUMENT = "add_document"     # also: correct its metadata, review its OCR
DELETE_DOCUMENT = "delete_document"
SEARCH = "search"
RECEIVE_DOSSIER = "receive_dossier"    # open a dossier at a desk
LIST_DOSSIERS = "list_dossiers"        # the dossiers one may see
VIEW_DOSSIER = "view_dossier"
HANDLE_DOSSIER = "handle_dossier"      # the receiving desk: offer papers for reuse, attach, receipt
RESOLVE_DOSSIER = "resolve_dossier"    # the competent agency's processors
CONFIRM_REUSE = "confirm_reuse"        # the persons of a dossier, online
WITHDRAW_DOSSIER = "withdraw_dossier"
PRINT_RECEIPT = "print_receipt"        # the receiving desk and the dossier's persons
MANAGE_CONSENT = "manage_consent"      # the owner online, reception staff at the desk as witness
MANAGE_RECORDS = "manage_records"      # retention, holds, disposition, the rights requests' answers
ASK_RIGHTS = "ask_rights"              # a person's requests under Decree 13/2023 (delete, export, correct)


def role_principal(role):
    return f"role:{role}"


def subject_principal(subject_id):
    return f"subject:{subject_id}"


def unit_principal(unit, role):
    """A role held at one unit: dossiers grant rights to the staff of their units."""
    return f"unit:{unit}:{role}"


def principals_for(user):
    """The principals an account carries, beside its own user id."""
    principals = [f"user:{user.username}"]
    principals += [role_principal(r) for r in sorted(user.roles)]
    if user.desk:
        principals += [unit_principal(user.desk, r) for r in sorted(user.roles)]
    if user.subject_id:
        principals.append(subject_principal(user.subject_id))
    return principals
