"""Evidence files: where they live, what may be uploaded, and how they leave.

Evidence (disclosure letters, screenshots, exported mails, special-case tickets) is
confidential, so it is kept outside MEDIA_ROOT, which a web server may serve as it is. Files
leave only through org-scoped download views, which check membership and send them as
attachments (`evidence_response`). Every app that keeps evidence uses this module.
"""

import os
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Extension -> the first bytes such a file starts with (None: plain text, nothing to sniff).
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": None,
    ".csv": None,
    ".eml": None,
    ".msg": (b"\xd0\xcf\x11\xe0",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
}
EVIDENCE_TYPES_TEXT = "PDF, PNG, JPG, TXT, CSV, EML, MSG, DOCX or XLSX"


def evidence_root() -> Path:
    """`settings.EVIDENCE_ROOT` (default: the git-ignored `var/evidence` of the checkout)."""
    return Path(settings.EVIDENCE_ROOT)


class EvidenceStorage(FileSystemStorage):
    """File system storage whose root follows the settings and which has no public URL."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(evidence_root())

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Evidence files have no public URL; use the org-scoped download view.")


_evidence_storage = EvidenceStorage()


def evidence_storage() -> EvidenceStorage:
    """A callable so migrations reference it by path instead of freezing a directory."""
    return _evidence_storage


def evidence_upload_to(instance: Any, filename: str) -> str:
    """`<org id>/<random>/<safe name>`: unguessable and grouped per organisation."""
    safe_name = get_valid_filename(os.path.basename(filename))[-120:] or "evidence"
    return f"{instance.organization_id}/{uuid.uuid4().hex}/{safe_name}"


def evidence_file_delete_on_commit(sender: type, instance: Any, **kwargs: Any) -> None:
    """A `post_delete` receiver: a deleted row (for example when its connection's synced data
    is purged) takes its `evidence` file with it, once the deletion has committed."""
    name = instance.evidence.name
    if name:
        transaction.on_commit(lambda: _evidence_storage.delete(name))


def validate_evidence_file(upload: UploadedFile) -> UploadedFile:
    """At most 10 MB, of an allowed type, and starting like a file of that type should."""
    if upload.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError(
            f"Evidence files may be at most 10 MB; this one is {upload.size / 1024 / 1024:.1f} MB."
        )
    extension = os.path.splitext(upload.name)[1].lower()
    if extension not in EVIDENCE_TYPES:
        raise forms.ValidationError(f"Upload a {EVIDENCE_TYPES_TEXT} file.")
    signatures = EVIDENCE_TYPES[extension]
    if signatures:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in signatures):
            raise forms.ValidationError(f"This file is not a valid {extension[1:].upper()} file.")
    return upload


class EvidenceFileField(forms.FileField):
    """An optional upload checked by `validate_evidence_file`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"{EVIDENCE_TYPES_TEXT}; at most 10 MB.")
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": ",".join(EVIDENCE_TYPES)}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):
            validate_evidence_file(upload)
        return upload


def evidence_response(file: FieldFile, name: str) -> FileResponse:
    """Always an attachment, never rendered inline, never cached by a shared proxy."""
    if not file:
        raise Http404("No evidence file.")
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name or os.path.basename(file.name),
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
