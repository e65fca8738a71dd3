from django import template

from lms.enrollment import api
from lms.enrollment.models import Enrollment

register = template.Library()


@register.inclusion_tag("enrollment/panel.html", takes_context=True)
def course_enrollment_panel(context, course):
    """Enroll / enrolled / why not, for the course page. One query for a learner."""
    request = context["request"]
    user = request.user
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=course.pk).first()
        if user.is_authenticated
        else None
    )
    return {
        "request": request,
        "course": course,
        "enrollment": enrollment if enrollment and enrollment.is_active else None,
        "reason": api.closed_reason(course),
        "csrf_token": context.get("csrf_token"),
    }
