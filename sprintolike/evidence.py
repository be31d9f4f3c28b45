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
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
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


class LocalEvidenceStorage(FileSystemStorage):
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


def _s3_storage(options: tuple[tuple[str, str], ...]) -> Storage:
    """A private S3 (or S3-compatible) bucket through django-storages: no public ACL, files
    never overwritten, encrypted at rest where the service supports it."""
    from storages.backends.s3 import S3Storage

    settings_by_name = dict(options)
    return S3Storage(
        bucket_name=settings_by_name["bucket"],
        endpoint_url=settings_by_name["endpoint_url"] or None,
        region_name=settings_by_name["region"] or None,
        access_key=settings_by_name["access_key_id"] or None,
        secret_key=settings_by_name["secret_access_key"] or None,
        location=settings_by_name["prefix"],
        default_acl="private",
        file_overwrite=False,
        querystring_auth=True,
        object_parameters={"ServerSideEncryption": "AES256"},
    )


_s3_storages: dict[tuple[tuple[str, str], ...], Storage] = {}


class EvidenceStorage(Storage):
    """Where evidence files live, chosen by the settings at each use.

    Local files under ``EVIDENCE_ROOT`` by default; with ``EVIDENCE_S3_BUCKET`` set, a private
    bucket on S3 or any S3-compatible object store (MinIO, Ceph, R2, ...), so every web and
    worker machine sees the same files. Models refer to this one object, so switching backends
    needs no migration. No backend gives evidence a public URL.
    """

    def backend(self) -> Storage:
        bucket = getattr(settings, "EVIDENCE_S3_BUCKET", "")
        if not bucket:
            return _local_evidence_storage
        options = (
            ("bucket", bucket),
            ("endpoint_url", getattr(settings, "EVIDENCE_S3_ENDPOINT_URL", "")),
            ("region", getattr(settings, "EVIDENCE_S3_REGION", "")),
            ("access_key_id", getattr(settings, "EVIDENCE_S3_ACCESS_KEY_ID", "")),
            ("secret_access_key", getattr(settings, "EVIDENCE_S3_SECRET_ACCESS_KEY", "")),
            ("prefix", getattr(settings, "EVIDENCE_S3_PREFIX", "evidence")),
        )
        if options not in _s3_storages:
            _s3_storages[options] = _s3_storage(options)
        return _s3_storages[options]

    def _open(self, name: str, mode: str = "rb") -> File:
        return self.backend()._open(name, mode)

    def _save(self, name: str, content: File) -> str:
        return self.backend()._save(name, content)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.backend().get_available_name(name, max_length=max_length)

    def delete(self, name: str) -> None:
        self.backend().delete(name)

    def exists(self, name: str) -> bool:
        return self.backend().exists(name)

    def size(self, name: str) -> int:
        return self.backend().size(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend().listdir(path)

    def path(self, name: str) -> str:
        return self.backend().path(name)

    def url(self, name: str | None) -> str:
        raise ValueError("Evidence files have no public URL; use the org-scoped download view.")

    def deconstruct(self) -> tuple[str, tuple, dict]:
        return ("sprintolike.evidence.EvidenceStorage", (), {})


_local_evidence_storage = LocalEvidenceStorage()
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
    except (FileNotFoundError, OSError):
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name or os.path.basename(file.name),
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
