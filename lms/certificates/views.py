from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_ratelimit.decorators import ratelimit

from lms.accounts import api as accounts_api
from lms.certificates import api, forms
from lms.certificates import folio as folios
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from lms.files import private_file_response

RATE = "30/m"


def _public(certificate) -> dict:
    """Only what a verifier needs: no account, no contact data."""
    data = {
        "folio": certificate.folio,
        "status": "valid" if certificate.is_valid else "revoked",
        "name": certificate.learner_name,
        "course": certificate.course_title,
        "module": certificate.module_code or None,
        "hours": certificate.hours,
        "completed_on": certificate.completed_on.isoformat(),
        "issuer": certificate.issuer_name,
        "issued_at": certificate.issued_at.isoformat(),
    }
    if certificate.revoked_at:
        data["revoked_on"] = timezone.localdate(certificate.revoked_at).isoformat()
        if certificate.replaced_by_id:
            data["replaced_by"] = certificate.replaced_by.folio
    return data


@never_cache
@ratelimit(key="ip", rate=RATE, block=True)
def verify_form(request):
    """The form; a folio typed into it goes to its address, anything else comes back with
    the form and the reason (400: the request, not the site, is wrong)."""
    if "folio" not in request.GET:
        return TemplateResponse(request, "certificates/verify.html", {"form": forms.VerifyForm()})
    form = forms.VerifyForm(request.GET)
    if form.is_valid():
        return redirect("certificates:verify", folio=form.cleaned_data["folio"])
    return TemplateResponse(request, "certificates/verify.html", {"form": form}, status=400)


# Never cached, by the browser or anyone on the way: the page shows a person's name, and a
# revocation (or a new certificate) must show at once.
@never_cache
@ratelimit(key="ip", rate=RATE, block=True)
def verify(request, folio: str, as_json: bool = False):
    canonical = folios.normalize(folio)
    certificate = api.lookup(folio=canonical) if canonical else None
    if as_json:
        if certificate is None:
            if canonical:
                return JsonResponse({"folio": canonical, "status": "unknown"}, status=404)
            return JsonResponse({"folio": forms.shown(folio), "status": "malformed"}, status=404)
        return JsonResponse(_public(certificate))
    if certificate and canonical != folio:
        return redirect("certificates:verify", folio=certificate.folio)
    context = {
        "folio": canonical or forms.shown(folio),
        "certificate": certificate,
        "state": "malformed" if not canonical else ("found" if certificate else "unknown"),
        "form": forms.VerifyForm(),
    }
    return TemplateResponse(
        request, "certificates/verify.html", context, status=200 if certificate else 404
    )


def issuer(request):
    response = JsonResponse(api.issuer_profile())
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _own(request, certificate_uuid):
    """The learner's own certificate, or one of a learner in the viewer's sedes (for
    coordinators); anything else is a 404, whatever permissions the viewer holds."""
    certificate = get_object_or_404(Certificate, uuid=certificate_uuid)
    if certificate.user_id == request.user.pk:
        return certificate
    learner = (
        enrollment_api.learner_in_scope(user=request.user, learner_id=certificate.user_id)
        if certificate.user_id is not None
        and request.user.has_perm("certificates.view_certificate")
        else None
    )
    if learner is not None:
        accounts_api.record_access(
            request=request,
            action=accounts_api.AccessAction.CERTIFICATE,
            subject=learner,
            detail=certificate.folio,
        )
        return certificate
    raise Http404


@never_cache
@login_required
def download_pdf(request, certificate_uuid):
    certificate = _own(request, certificate_uuid)
    return private_file_response(
        certificate.pdf,
        filename=f"constancia-{certificate.folio}.pdf",
        content_type="application/pdf",
    )


@never_cache
@login_required
def download_credential(request, certificate_uuid):
    certificate = _own(request, certificate_uuid)
    response = JsonResponse(
        certificate.credential, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="constancia-{certificate.folio}.json"'
    return response
