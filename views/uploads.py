"""Reading an uploaded file from a multipart request, within the size limit."""
from repository.errors import ValidationError

MULTIPART_SLACK = 64 * 1024   # room for the form fields beside the file
METADATA_FIELDS = ("type_code", "name", "number", "issue_date", "issuer", "summary",
                   "valid_from", "valid_until", "validity_scope", "state", "provenance",
                   "dossier_code")


def max_upload_bytes(request):
    return int(request.registry.settings["kho.upload.max_bytes"])


def read_upload(request, field="file"):
    """(bytes, filename) of the uploaded file, or ValidationError before storing anything."""
    limit = max_upload_bytes(request)
    if request.content_length and request.content_length > limit + MULTIPART_SLACK:
        raise ValidationError({field: f"Tệp lớn hơn giới hạn {limit // (1024 * 1024)} MB / "
                                      f"the file is larger than {limit // (1024 * 1024)} MB"})
    upload = request.POST.get(field)
    if not hasattr(upload, "file"):
        raise ValidationError({field: "Chưa chọn tệp / no file was sent"})
    upload.file.seek(0)      # a retried request (pyramid_retry) reuses the parsed form
    data = upload.file.read(limit + 1)
    return data, upload.filename or ""
