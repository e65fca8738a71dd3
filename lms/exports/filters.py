"""What a coordinator asks an export for: ``ExportFilters``, and the forms that ask
(the export page and the JSON API share ``FiltersForm``).

Filters only ever narrow the requesting person's scope, which the queries decide again
every time (``queries._scoped``): a sede or grupo outside it simply matches nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses import read_models as courses_models
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.exports import research
from lms.exports.models import COORDINATOR_KINDS, ExportFormat, ExportKind


@dataclass(frozen=True)
class ExportFilters:
    """What a coordinator asked for. Dates are local dates (``settings.TIME_ZONE``),
    both inclusive. Ids are not trusted: scope is applied on top of them."""

    desde: date | None = None
    hasta: date | None = None
    sede_id: int | None = None
    grupo_id: int | None = None
    curso_id: int | None = None

    def as_json(self) -> dict:
        """For ``ExportJob.filters``: dates as ISO strings, empty values left out."""
        data = asdict(self)
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in data.items()
            if value is not None
        }

    @classmethod
    def from_json(cls, data: dict | None) -> ExportFilters:
        data = data or {}

        def day(key):
            return date.fromisoformat(data[key]) if data.get(key) else None

        def number(key):
            return int(data[key]) if data.get(key) not in (None, "") else None

        return cls(
            desde=day("desde"),
            hasta=day("hasta"),
            sede_id=number("sede_id"),
            grupo_id=number("grupo_id"),
            curso_id=number("curso_id"),
        )


class _GrupoChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} — {obj.sede.name}"


DATE_INVALID = gettext_lazy("Escriba la fecha como AAAA-MM-DD, por ejemplo 2026-11-28.")


class FiltersForm(forms.Form):
    """The filters of an export (the export page and the JSON API share it). Choices are
    limited to ``user``'s scope, so a sede or grupo of someone else is a form error."""

    desde = forms.DateField(
        label=gettext_lazy("Desde"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    hasta = forms.DateField(
        label=gettext_lazy("Hasta"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    sede = forms.ModelChoiceField(
        label=gettext_lazy("Sede"),
        queryset=enrollment_models.Sede.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todas mis sedes"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Esa sede no existe o no es una de las sedes que usted coordina."
            )
        },
    )
    grupo = _GrupoChoiceField(
        label=gettext_lazy("Grupo"),
        queryset=enrollment_models.Grupo.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todos los grupos"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Ese grupo no existe o no es de una de las sedes que usted coordina."
            )
        },
    )
    curso = forms.ModelChoiceField(
        label=gettext_lazy("Curso"),
        queryset=courses_models.CoursePage.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todos los cursos"),
        error_messages={"invalid_choice": gettext_lazy("Ese curso no existe.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["sede"].queryset = enrollment_api.sedes_in_scope(user=user).order_by(
            "name", "pk"
        )
        self.fields["grupo"].queryset = enrollment_api.grupos_in_scope(user=user).order_by(
            "sede__name", "name", "pk"
        )
        self.fields["curso"].queryset = courses_models.CoursePage.objects.order_by("title", "pk")

    def clean(self):
        data = super().clean()
        desde, hasta = data.get("desde"), data.get("hasta")
        if desde and hasta and hasta < desde:
            self.add_error(
                "hasta",
                _("La fecha «hasta» es anterior a «desde». Revise las fechas."),
            )
        sede, grupo = data.get("sede"), data.get("grupo")
        if sede and grupo and grupo.sede_id != sede.pk:
            self.add_error(
                "grupo",
                _("El grupo «%(grupo)s» no es de la sede «%(sede)s».")
                % {"grupo": grupo.name, "sede": sede.name},
            )
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            desde=data.get("desde"),
            hasta=data.get("hasta"),
            sede_id=data["sede"].pk if data.get("sede") else None,
            grupo_id=data["grupo"].pk if data.get("grupo") else None,
            curso_id=data["curso"].pk if data.get("curso") else None,
        )


class ExportForm(FiltersForm):
    """The export page: what to export, in which format, with which filters."""

    tipo = forms.ChoiceField(
        label=gettext_lazy("¿Qué quiere exportar?"),
        choices=[(kind.value, kind.label) for kind in COORDINATOR_KINDS],
        initial=ExportKind.ENROLLMENTS,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Elija qué quiere exportar."),
            "invalid_choice": gettext_lazy("Elija una de las exportaciones de la lista."),
        },
    )
    formato = forms.ChoiceField(
        label=gettext_lazy("Formato"),
        choices=[
            (ExportFormat.CSV, ExportFormat.CSV.label),
            (ExportFormat.XLSX, ExportFormat.XLSX.label),
        ],
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Elija el formato del archivo."),
            "invalid_choice": gettext_lazy("Elija CSV o Excel (XLSX)."),
        },
    )

    field_order = ["tipo", "formato", "desde", "hasta", "sede", "grupo", "curso"]


class ResearchForm(forms.Form):
    """The research export (program administrators): the k of k-anonymity, and the
    administrator's word that the file goes only to researchers under an agreement."""

    k = forms.IntegerField(
        label=gettext_lazy("Tamaño mínimo de cada grupo (k)"),
        initial=research.DEFAULT_K,
        min_value=research.MIN_K,
        max_value=research.MAX_K,
        error_messages={
            "required": gettext_lazy("Escriba el tamaño mínimo de grupo, por ejemplo 5."),
            "invalid": gettext_lazy("Escriba un número entero, por ejemplo 5."),
            "min_value": gettext_lazy(
                "k debe ser al menos %(limit_value)s: con grupos más pequeños se podría "
                "reconocer a alguien."
            ),
            "max_value": gettext_lazy("k puede ser a lo más %(limit_value)s."),
        },
    )
    acuerdo = forms.BooleanField(
        label=gettext_lazy(
            "Entregaré este archivo solo a personas que investigan con un acuerdo de uso de "
            "datos, y nadie intentará reconocer a los educandos."
        ),
        error_messages={
            "required": gettext_lazy(
                "Para preparar el archivo, confirme que lo entregará solo bajo un acuerdo de "
                "uso de datos."
            )
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["k"].help_text = _(
            "Cada combinación de región, tipo de sede, curso y fechas tendrá al menos este "
            "número de educandos. Entre %(min)s y %(max)s; más alto protege más y quita más "
            "datos."
        ) % {"min": research.MIN_K, "max": research.MAX_K}
