from django import template
from django.utils import timezone

from lms.enrollment import api

register = template.Library()


@register.inclusion_tag("enrollment/panel.html", takes_context=True)
def course_enrollment_panel(context, course):
    """Enroll / enrolled / why not, for the course page. One query for a learner."""
    request = context["request"]
    user = request.user
    enrollment = (
        api.Enrollment.objects.filter(user=user, course_id=course.pk).first()
        if user.is_authenticated
        else None
    )
    now = timezone.now()
    reason = None
    if course.enrollment_policy == "coordinator":
        reason = "coordinator_only"
    elif course.enrollment_opens_at and now < course.enrollment_opens_at:
        reason = "not_open_yet"
    elif course.enrollment_closes_at and now >= course.enrollment_closes_at:
        reason = "closed"
    return {
        "request": request,
        "course": course,
        "enrollment": enrollment if enrollment and enrollment.is_active else None,
        "reason": reason,
        "csrf_token": context.get("csrf_token"),
    }
