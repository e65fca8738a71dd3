"""The models of ``certificates`` that other apps may read: to query, to annotate types and
to point foreign keys at. Constancias are issued and revoked through
``lms.certificates.api``, never through these."""

from lms.certificates.models import Certificate

__all__ = ["Certificate"]
