"""Serving private files (certificates, exports, code sheets) after a view has checked
who may have them: a short-lived presigned URL on S3, the file itself otherwise."""

from django.core.files.storage import storages
from django.http import FileResponse, HttpResponseRedirect


def private_file_response(field_file, *, filename: str, content_type: str):
    storage = storages["default"]
    if hasattr(storage, "bucket_name"):  # S3: a short-lived presigned URL
        return HttpResponseRedirect(
            storage.url(
                field_file.name,
                parameters={
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                    "ResponseContentType": content_type,
                },
            )
        )
    return FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
