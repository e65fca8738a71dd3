"""The public Python API of ``certificates``: issue, revoke, re-issue, look up, verify.

Issuing, revoking and re-issuing are in ``issuing`` (idempotent, safe under races, each
new certificate and each revocation announced after commit: ``certificate_issued``,
``certificate_revoked``, arguments in ``signals.py``); the signed credential and its
verification in ``credentials``; the reads in ``selectors``. Other apps read the
certificates through ``lms.certificates.read_models``.
"""

from __future__ import annotations

from lms.certificates.cleanup import delete_orphan_pdfs, orphan_pdfs
from lms.certificates.credentials import (
    issuer_profile,
    public_url,
    sede_issuer_profile,
    verify_credential,
)
from lms.certificates.issuing import (
    CertificateError,
    issue_certificate,
    on_course_completed,
    reissue,
    revoke,
)
from lms.certificates.selectors import (
    certificates_for_user,
    export_personal_data,
    lookup,
    missing_certificates,
)
from lms.certificates.signals import certificate_issued, certificate_revoked

__all__ = [
    "CertificateError",
    "certificate_issued",
    "certificate_revoked",
    "certificates_for_user",
    "delete_orphan_pdfs",
    "export_personal_data",
    "issue_certificate",
    "issuer_profile",
    "lookup",
    "missing_certificates",
    "on_course_completed",
    "orphan_pdfs",
    "public_url",
    "reissue",
    "revoke",
    "sede_issuer_profile",
    "verify_credential",
]
