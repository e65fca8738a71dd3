from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from lms.accounts import api as accounts_api
from lms.certificates import api, forms
from lms.certificates import folio as folios
from lms.certificates import status_list as status_lists
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from lms.files import private_file_response

RATE = "30/m"


def _is_valid(certificate) -> bool:
    """Valid in the register and in the published revocation list (which a verifier
    elsewhere reads): the page says what any verifier would find."""
    return certificate.is_valid and not status_lists.is_revoked(certificate)


def _number(value):
    """4 or 3.5 in JSON (never "4.0" as a string)."""
    return int(value) if value == int(value) else float(value)


def _public(certificate) -> dict:
    """Only what a verifier needs: no account, no contact data."""
    data = {
        "folio": certificate.folio,
        "status": "valid" if _is_valid(certificate) else "revoked",
        "name": certificate.learner_name,
        "course": certificate.course_title,
        "module": certificate.module_code or None,
        # "corresponde", "parcial" (with which part) or "relacionado"; None without a
        # module, and for a certificate issued before kinds existed ("Alineado con").
        "alignment": certificate.alignment or None,
        "alignment_note": certificate.alignment_note or None,
        "alignment_statement": certificate.alignment_statement or None,
        "hours": _number(certificate.hours),
        "completed_on": certificate.completed_on.isoformat(),
        "issuer": certificate.issuer_name,
        "issued_at": certificate.issued_at.isoformat(),
    }
    if certificate.revoked_at:
        data["revoked_on"] = timezone.localdate(certificate.revoked_at).isoformat()
        if certificate.replaced_by_id:
            data["replaced_by"] = certificate.replaced_by.folio
    if certificate.status_index is not None:
        data["credentialStatus"] = status_lists.entry(certificate)
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
    """A folio issued today is "unknown" when it is not in the register; a string that
    passes only the legacy check is a folio only if it is there (printed before): otherwise
    it is a typo, answered "malformed" like any other."""
    certificate = api.lookup(folio=folio)
    canonical = certificate.folio if certificate else folios.normalize(folio)
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
        "valid": certificate is not None and _is_valid(certificate),
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


@require_safe
def status_list(request, number: int):
    """A revocation list as a signed ``BitstringStatusListCredential``: public, for any
    verifier. Built from the database, so a revocation is in it at once; verifiers and
    proxies may keep it ``status_list.MAX_AGE`` seconds, and ask again cheaply (ETag)."""
    if not status_lists.exists(number):
        raise Http404
    document = status_lists.status_list_credential(number)
    tag = status_lists.etag(document)
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(document, content_type="application/vc+ld+json")
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={status_lists.MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def sede_issuer(request, sede_id: int):
    """The issuer Profile of a sede's credentials (public, with the key to verify them)."""
    profile = api.sede_issuer_profile(sede_id)
    if profile is None:
        raise Http404
    response = JsonResponse(profile)
    response["Access-Control-Allow-Origin"] = "*"
    return response
