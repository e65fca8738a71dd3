from django.urls import path

from lms.accounts import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("registro/", views.signup, name="signup"),
    path("entrar/", views.LoginView.as_view(), name="login"),
    path("salir/", views.LogoutView.as_view(), name="logout"),
    path("contrasena/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "contrasena/lista/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("recuperar/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "recuperar/enviado/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "recuperar/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "recuperar/listo/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("codigo/", views.redeem_code, name="redeem_code"),
    path("mis-datos/", views.my_data, name="my_data"),
    path("aplicaciones/", views.create_api_token, name="api_token_create"),
    path(
        "aplicaciones/<int:token_id>/revocar/",
        views.revoke_api_token,
        name="api_token_revoke",
    ),
    path("eliminar/", views.delete_account, name="delete_account"),
    path("verificacion/", two_factor_views.verify, name="two_factor"),
    path("verificacion/configurar/", two_factor_views.setup, name="two_factor_setup"),
    path("verificacion/codigos/", two_factor_views.recovery_codes, name="two_factor_codes"),
]
