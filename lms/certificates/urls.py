from django.urls import path

from lms.certificates import views

app_name = "certificates"
urlpatterns = [
    path("verificar/", views.verify_form, name="verify_form"),
    # <path:>, not <str:>: whatever is pasted after /verificar/, slashes included, gets the
    # verification page's own answer ("not a valid folio"), not a bare 404.
    path("verificar/<path:folio>.json", views.verify, {"as_json": True}, name="verify_json"),
    path("verificar/<path:folio>/", views.verify, name="verify"),
    path(".well-known/aula-issuer.json", views.issuer, name="issuer"),
    path("constancias/emisor/<int:sede_id>/", views.sede_issuer, name="sede_issuer"),
    # The revocation lists (W3C Bitstring Status List): a stable address per list.
    path("constancias/estado/<int:number>/", views.status_list, name="status_list"),
    path("mis-cursos/constancias/<uuid:certificate_uuid>/pdf/", views.download_pdf, name="pdf"),
    path(
        "mis-cursos/constancias/<uuid:certificate_uuid>/credencial/",
        views.download_credential,
        name="credential",
    ),
]
