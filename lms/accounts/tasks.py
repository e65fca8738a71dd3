"""Celery entry points of ``accounts`` (Celery autodiscovers this module)."""

from smtplib import SMTPException

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="accounts.send_email",
    autoretry_for=(OSError, SMTPException),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
)
def send_email_task(subject: str, body: str, to: list[str], html: str | None = None) -> None:
    """Send an email rendered in the request (a password-reset link): a slow or failing
    mail server never holds up the page, and the task retries while it is down."""
    message = EmailMultiAlternatives(subject, body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
