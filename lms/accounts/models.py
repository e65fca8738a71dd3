from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who uses Aula: educando, asesor, coordinador or administrador.

    A username and a password are all a learner needs. Email, names and anything else are
    optional and never required to study. Roles are Django groups (see ``roles.py``).
    """

    email = models.EmailField(_("correo electrónico"), blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
