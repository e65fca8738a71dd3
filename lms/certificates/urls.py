from django.urls import path

from lms.certificates import views

app_name = "certificates"
urlpatterns = [
    path("verificar/", views.verify_form, name="verify_form"),
    path("verificar/<str:folio>.json", views.verify, {"as_json": True}, name="verify_json"),
    path("verificar/<str:folio>/", views.verify, name="verify"),
    path(".well-known/aula-issuer.json", views.issuer, name="issuer"),
    path("mis-cursos/constancias/<uuid:certificate_uuid>/pdf/", views.download_pdf, name="pdf"),
    path(
        "mis-cursos/constancias/<uuid:certificate_uuid>/credencial/",
        views.download_credential,
        name="credential",
    ),
]
