"""Read-only admin panels of course pages: the coverage and quality checks of an
assessment (``assessment_review``), at the top of its content tab and of its course's; how
easy a lesson is to read (``content.readability``), at the top of the lesson's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from content.api import analyze_stream


class ReviewPanel(Panel):
    """The warnings for the page being edited (as last saved), when there are any."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("heading", _("Revisión de la evaluación"))
        super().__init__(**kwargs)

    def warnings_for(self, page: Any) -> list[Any]:
        from courses.assessment_review import assessment_warnings

        return assessment_warnings(page)

    class BoundPanel(Panel.BoundPanel):
        template_name = "courses/admin/review_panel.html"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.warnings = self.panel.warnings_for(self.instance)

        def is_shown(self) -> bool:
            return bool(self.warnings)

        def get_context_data(self, parent_context: Any = None) -> Any:
            context = super().get_context_data(parent_context)
            context["warnings"] = self.warnings
            return context


class CourseReviewPanel(ReviewPanel):
    """On a course: the outcomes its final assessment does not assess."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("heading", _("Revisión del examen final"))
        super().__init__(**kwargs)

    def warnings_for(self, page: Any) -> list[Any]:
        from courses.assessment_review import course_warnings

        return course_warnings(page)


class ReadabilityPanel(Panel):
    """How easy the text of a lesson is to read (``content.readability``): the INFLESZ
    figure and its band against the target for adults who finished primaria, the
    Fernández-Huerta figure, the longest sentences and the least common words.

    Computed from the page being edited, as the edit view loads it: the latest revision,
    a draft or one submitted to review, so the asesor who writes it and the coordinator
    who reviews it see the same figures. It reads the StreamField's stored data and makes
    no query.
    """

    def __init__(self, field_name: str = "body", **kwargs: Any) -> None:
        kwargs.setdefault("heading", _("Facilidad de lectura"))
        super().__init__(**kwargs)
        self.field_name = field_name

    def clone_kwargs(self) -> dict[str, Any]:
        kwargs = super().clone_kwargs()
        kwargs["field_name"] = self.field_name
        return kwargs

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtailadmin/panels/readability_panel.html"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            field = self.instance._meta.get_field(self.panel.field_name)
            self.readability = analyze_stream(
                field.stream_block, getattr(self.instance, self.panel.field_name)
            )

        def get_context_data(self, parent_context: Any = None) -> Any:
            context = super().get_context_data(parent_context)
            context["readability"] = self.readability
            return context
