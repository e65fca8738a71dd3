from django import template

from lms.certificates import api

register = template.Library()


@register.simple_tag(takes_context=True)
def my_certificates(context):
    """The learner's valid certificates by enrollment id, for "Mis cursos" (one query)."""
    user = context["request"].user
    return api.certificates_for_user(user=user) if user.is_authenticated else {}


@register.filter
def certificate_for(certificates, enrollment_id):
    return certificates.get(enrollment_id)
