"""The forms of the coordinator's pages. Every choice is limited to the viewer's scope
(``enrollment_api.grupos_in_scope``), so a grupo of someone else is a form error."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.enrollment import api as enrollment_api


class ScopeFilterForm(forms.Form):
    """Narrow a page to one sede or one grupo of the viewer's scope."""

    sede = forms.ChoiceField(label=gettext_lazy("Sede"), required=False)
    grupo = forms.ChoiceField(label=gettext_lazy("Grupo"), required=False)

    def __init__(self, *args, sedes, grupos, **kwargs):
        super().__init__(*args, **kwargs)
        self.sedes = {s.key: s for s in sedes}
        self.grupos = {str(g.pk): g for g in grupos}
        self.fields["sede"].choices = [("", _("Todas"))] + [(s.key, s.name) for s in sedes]
        self.fields["grupo"].choices = [("", _("Todos"))] + [
            (str(g.pk), f"{g.name} · {g.sede.name}") for g in grupos
        ]

    def scope(self, all_sedes):
        """(sedes, grupo) to pass to the selectors; everything when the form is invalid."""
        if not self.is_valid():
            return all_sedes, None
        grupo = self.grupos.get(self.cleaned_data["grupo"])
        if grupo is not None:
            return [grupo.sede], grupo
        sede = self.sedes.get(self.cleaned_data["sede"])
        return ([sede] if sede else all_sedes), None


class AtRiskForm(ScopeFilterForm):
    dias = forms.IntegerField(
        label=gettext_lazy("Días sin estudiar"), min_value=1, max_value=365, required=False
    )

    def days(self) -> int | None:
        return self.cleaned_data.get("dias") if self.is_valid() else None


class MoveForm(forms.Form):
    grupo = forms.ModelChoiceField(
        label=gettext_lazy("Mover al grupo"), queryset=None, empty_label=None
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grupo"].queryset = enrollment_api.grupos_in_scope(user=user).order_by(
            "sede__name", "name"
        )
        self.fields["grupo"].label_from_instance = lambda g: f"{g.name} · {g.sede.name}"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motivo"), max_length=500)


class ReissueForm(ReasonForm):
    learner_name = forms.CharField(label=gettext_lazy("Nombre correcto"), max_length=200)
