from django.template.response import TemplateResponse


def rate_limited(request, exception):
    """django-ratelimit's answer: 429 with a kind page, for every rate-limited view."""
    response = TemplateResponse(request, "rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response
