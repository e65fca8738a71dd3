"""The welcome email of a learner created by bulk enrollment, with a link to choose their
password (sent by the Celery task ``enrollment.send_welcome_email``, queued on commit)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.enrollment import selectors
from lms.enrollment.bulk.codesheet import redeem_address


def send_welcome_email(*, user_id: int, base_url: str, sede_name: str) -> bool:
    """Email a learner created by bulk enrollment a link to choose their password.

    Does nothing (returns False) if the account is gone, has no email, or already has a
    password: so a retried task never sends a link that is no longer needed.
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.has_usable_password():
        return False
    link = base_url.rstrip("/") + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "name": user.public_name,
        "username": user.get_username(),
        "sede": sede_name,
        "link": link,
        "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
        "courses": [e.course.title for e in selectors.enrollments_for(user=user)],
        "redeem_address": redeem_address(base_url),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("enrollment/bulk_welcome_subject.txt", context)
        body = render_to_string("enrollment/bulk_welcome_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
    return True
