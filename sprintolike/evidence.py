"""Where evidence files live: a private directory that no URL maps to.

Evidence (disclosure letters, screenshots, exported mails) is confidential, so it is kept outside
MEDIA_ROOT, which a web server may serve as it is. Files leave only through the org-scoped
download views in `checks.views`, which check membership and send them as attachments.
"""

import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils.text import get_valid_filename


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
    """A deleted disclosure (for example when its connection's synced data is purged) takes its
    evidence file with it, once the deletion has committed."""
    name = instance.evidence.name
    if name:
        transaction.on_commit(lambda: _evidence_storage.delete(name))
