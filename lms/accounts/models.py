from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.validators import (
    normalise_curp,
    username_skeleton,
    validate_curp,
    validate_phone,
)


class UserManager(DjangoUserManager["User"]):
    """Django's, so that ``create_user`` and ``createsuperuser`` also store the username's
    skeleton (it may run in migrations, on historical models without ``User``'s methods)."""

    def _create_user_object(self, username, email, password, **extra_fields):
        user = super()._create_user_object(username, email, password, **extra_fields)
        user.username_skeleton = username_skeleton(user.username)
        return user


class User(AbstractUser):
    """A person who uses Aula: educando, asesor, coordinador or administrador.

    A username and a password are all a learner needs. Email, names and anything else are
    optional and never required to study. Roles are Django groups (see ``roles.py``).
    Aula never stores immigration status, address or country of birth.
    """

    email = models.EmailField(_("correo electrónico"), blank=True)
    display_name = models.CharField(
        _("nombre para sus constancias"),
        max_length=150,
        blank=True,
        help_text=_("Cómo quiere que aparezca su nombre en sus constancias."),
    )
    phone = models.CharField(_("teléfono"), max_length=30, blank=True, validators=[validate_phone])
    curp = models.CharField(
        _("CURP"),
        max_length=18,
        blank=True,
        validators=[validate_curp],
        help_text=_("Opcional. Se guarda en mayúsculas."),
    )
    reminders_opt_out = models.BooleanField(_("no quiere recibir recordatorios"), default=False)
    # What the username looks like (``validators.username_skeleton``), so that a new username
    # that could pass for an existing one is found with one indexed query. Not unique: older
    # accounts may already share one, and the check is made when a username is chosen.
    username_skeleton = models.TextField(
        _("forma visual del nombre de usuario"), blank=True, default="", editable=False
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")
        swappable = "AUTH_USER_MODEL"
        indexes = [models.Index(fields=["username_skeleton"], name="accounts_user_skeleton_idx")]
        constraints = [
            # "Maria" and "maria" are one person typing on a phone keyboard.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("Ese nombre de usuario ya lo usa otra persona."),
            ),
            # Optional, but when given it identifies one person.
            models.UniqueConstraint(
                fields=["curp"],
                condition=~models.Q(curp=""),
                name="accounts_user_curp_unique",
                violation_error_code="unique",
                violation_error_message=_(
                    "Esta CURP ya está registrada en otra cuenta. Si es suya, pida ayuda a "
                    "su asesor o a su coordinador."
                ),
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def clean(self) -> None:
        super().clean()
        self.curp = normalise_curp(self.curp)
        self.phone = (self.phone or "").strip()
        self.display_name = (self.display_name or "").strip()

    @property
    def public_name(self) -> str:
        """The name to print for this person: the one they chose, else their username."""
        return self.display_name or self.get_full_name() or self.get_username()

    def refresh_username_skeleton(self) -> None:
        """Set ``username_skeleton`` from ``username``. Whatever sets a username calls this
        before saving (``api.register_learner``, the admin forms, ``objects.create_user``)."""
        self.username_skeleton = username_skeleton(self.username)


def reset_code_expiry() -> datetime:
    """When a code issued now stops working (setting ``AULA_RESET_CODE_DAYS``, default 7)."""
    return timezone.now() + timedelta(days=getattr(settings, "AULA_RESET_CODE_DAYS", 7))


class ResetCode(models.Model):
    """A one-time code a coordinator hands to a learner without email to set a new password.

    Only a hash of the code is stored: the plain code is shown once, when it is issued
    (``api.issue_reset_code``). A code is *open* until it is used or revoked; it is revoked
    when a newer one is issued for the same person or after ``MAX_ATTEMPTS`` wrong tries.
    Use it only through ``api.redeem_reset_code``.
    """

    MAX_ATTEMPTS = 5

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reset_codes",
        verbose_name=_("usuario"),
    )
    code_hash = models.CharField(_("código (cifrado)"), max_length=128)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entregado por"),
    )
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    expires_at = models.DateTimeField(_("vence"), default=reset_code_expiry)
    used_at = models.DateTimeField(_("usado"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("anulado"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("intentos fallidos"), default=0)

    class Meta:
        verbose_name = _("código de recuperación")
        verbose_name_plural = _("códigos de recuperación")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="accounts_resetcode_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="accounts_resetcode_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None

    def is_usable(self, now: datetime) -> bool:
        return self.is_open and self.expires_at > now


class ResetCodeFailure(models.Model):
    """Wrong tries at one code from one address. ``MAX_ATTEMPTS`` of them close the code to
    that address only: whoever knows a learner's username cannot, from their own phone,
    lock the learner out of the code their coordinator gave them."""

    reset_code = models.ForeignKey(ResetCode, on_delete=models.CASCADE, related_name="failures")
    address = models.CharField(_("dirección"), max_length=45, blank=True)
    count = models.PositiveSmallIntegerField(_("intentos fallidos"), default=0)

    class Meta:
        verbose_name = _("intento fallido de código")
        verbose_name_plural = _("intentos fallidos de códigos")
        constraints = [
            models.UniqueConstraint(
                fields=["reset_code", "address"], name="accounts_resetcodefailure_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reset_code_id} · {self.address or '?'} · {self.count}"


class AccessAction(models.TextChoices):
    VIEW_LEARNER = "ver_educando", _("Vio la ficha de un educando")
    RESET_CODE = "codigo", _("Entregó un código de acceso")
    EXPORT = "exportacion", _("Exportó datos")
    EXPORT_DOWNLOAD = "descarga_exportacion", _("Descargó una exportación")
    CODE_SHEET = "hoja_de_codigos", _("Descargó una hoja de códigos de acceso")
    CERTIFICATE = "constancia", _("Descargó la constancia de otra persona")


class AccessRecordQuerySet(models.QuerySet):
    """Append-only: rows are added (``api.record_access``), never changed or removed."""

    def update(self, **kwargs):
        raise PermissionError("El registro de accesos no se modifica.")

    def delete(self):
        raise PermissionError("El registro de accesos no se borra.")


class AccessRecord(models.Model):
    """Who read whose personal data, when, and from where: every view of a learner's
    file, every export and its download, every reset code and sheet of codes handed out,
    every constancia of someone else downloaded. Learners may fear being found; this is
    how an administrator finds out who looked.

    Append-only (the queryset refuses updates and deletes, ``save`` refuses changes, and
    on PostgreSQL a trigger refuses them too). When an account is deleted its rows stay,
    with the person's link emptied (and the actor's username kept, for staff).
    """

    at = models.DateTimeField(_("cuándo"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("quién"),
    )
    actor_username = models.CharField(_("usuario de quién"), max_length=150)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("de quién"),
    )
    action = models.CharField(_("qué"), max_length=30, choices=AccessAction.choices)
    detail = models.CharField(_("detalle"), max_length=300, blank=True)
    address = models.CharField(_("desde dónde (dirección)"), max_length=45, blank=True)
    user_agent = models.CharField(_("navegador"), max_length=200, blank=True)

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("acceso a datos personales")
        verbose_name_plural = _("registro de accesos a datos personales")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"], name="accounts_access_subject_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.actor_username} · {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("El registro de accesos no se modifica.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("El registro de accesos no se borra.")


class ApiToken(models.Model):
    """A personal token with which an app of the person's (the offline app on their phone)
    calls the API in their name: ``Authorization: Bearer aula_<prefix>_<secret>``.

    Only the public ``prefix`` (to find the row) and a SHA-256 digest of the whole token are
    stored; the token itself is shown once, when it is created (``api.create_api_token``).
    Revoking sets ``revoked_at``: the row stays so that the person's data export and the
    list of what used their account keep it, but it authenticates nothing any more.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # Not "api_tokens": Wagtail's own (admin-issued) APIToken already takes that name.
        related_name="personal_api_tokens",
        verbose_name=_("usuario"),
    )
    name = models.CharField(_("nombre"), max_length=60)
    prefix = models.CharField(_("prefijo"), max_length=16, unique=True, editable=False)
    digest = models.CharField(_("huella (SHA-256)"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True)

    class Meta:
        verbose_name = _("token para aplicaciones")
        verbose_name_plural = _("tokens para aplicaciones")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
