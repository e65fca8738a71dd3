"""StreamField blocks for lessons and for assessment questions.

These blocks know nothing of courses or learners. Stored learner data (quiz answers) refers
to a block by its stable StreamField ``id``, never by its position, so editors can reorder
or republish without changing what an answer meant.

Every block declares an icon, a template, a description and a preview value, so the
Wagtail editor shows asesores what each block is before they add it.

Each question type is one unit: its block class below holds its fields, its template (the
answer field), its grading (a pure function of the block value and the answer), the texts
of the results page, an example right answer and its preview; ``BaseQuestionBlock``
defines that protocol. Adding a type touches one class here, its template and
``QuestionStreamBlock``; ``content/checks.py`` and ``tests/content/test_question_types.py``
check every type of ``QuestionStreamBlock`` against the protocol.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from content.numbers import parse_number
from content.text import normalize_text

RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link"]

# --- Lesson blocks --------------------------------------------------------------------


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Texto"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("Nivel"),
        choices=[("h2", _("Título de sección")), ("h3", _("Subtítulo"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Título")
        template = "content/blocks/heading.html"
        description = _("Un título que divide la lección en partes.")
        preview_value = {"text": "Partes de una fracción", "level": "h2"}


class ImageBlock(blocks.StructBlock):
    """An image shown as a ``<picture>`` (``image.html``): WebP with a JPEG fallback (PNG
    for PNG and GIF originals, which may be transparent), each 1080, 720 and 360 px wide
    (never enlarged), so a 360 px phone at DPR 2 downloads the 720 px WebP. Lazy below
    the fold; only the lesson's first image, when it opens the lesson (first or second
    block), loads at once. The alt text is required (blank or only spaces is refused).

    An SVG drawing (checked on upload, ``content/svg.py``) is shown as itself in a plain
    ``<img>``: one "preserve-svg" rendition at its own size (from its viewBox), sharp at
    any width, never rasterised. It is a rendition, not the original, because originals
    are served to staff only (``lms/media.py``).
    """

    image = ImageChooserBlock(label=_("Imagen"))
    alt = blocks.CharBlock(
        label=_("Texto alternativo"),
        max_length=250,
        help_text=_("Describa la imagen para quien no puede verla. Obligatorio."),
    )
    caption = blocks.CharBlock(label=_("Pie de imagen"), required=False, max_length=250)

    # The renditions image.html asks for (its {% picture %} specs, in Wagtail's spelling).
    WIDTHS = (1080, 720, 360)
    RENDITION_SPECS = tuple(
        f"width-{width}|format-{fmt}" for width in WIDTHS for fmt in ("webp", "jpeg", "png")
    )
    PNG_FALLBACK_EXTENSIONS = ("png", "gif")
    # image.html's spec for an SVG, and the spec Wagtail stores for it ("preserve-svg"
    # drops itself and anything that would rasterise).
    SVG_FILTER = "original|preserve-svg"
    SVG_RENDITION_SPEC = "original"
    EAGER_WITHIN_BLOCKS = 2

    def bulk_to_python(self, values):
        """The images of a whole page with their renditions: one query for all of them,
        however many images the page has (Wagtail then finds each rendition in memory)."""
        from django.db.models import Prefetch, prefetch_related_objects

        result = super().bulk_to_python(values)
        images = [value["image"] for value in result if value.get("image")]
        if images:
            specs = (*self.RENDITION_SPECS, self.SVG_RENDITION_SPEC)
            renditions = images[0].get_rendition_model().objects.filter(filter_spec__in=specs)
            prefetch_related_objects(
                images,
                Prefetch("renditions", queryset=renditions, to_attr="prefetched_renditions"),
            )
        return result

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        image = value.get("image")
        extension = image.file.name.rsplit(".", 1)[-1].lower() if image else ""
        context["fallback_png"] = extension in self.PNG_FALLBACK_EXTENSIONS
        context["svg"] = self._svg_drawing(image) if extension == "svg" else None
        eager = self._opens_the_page(value, parent_context)
        context["loading"] = "eager" if eager else "lazy"
        context["decoding"] = False if eager else "async"
        return context

    def _svg_drawing(self, image) -> dict:
        """The SVG rendition's URL and its size in whole CSS pixels (Willow measures an SVG
        in fractions; ``<img width>`` takes an integer). Found among the prefetched
        renditions; a missing file gives a broken image, as Wagtail's own tags do."""
        from wagtail.images.shortcuts import get_rendition_or_not_found

        rendition = get_rendition_or_not_found(image, self.SVG_FILTER)
        return {
            "url": rendition.url,
            "width": round(rendition.width),
            "height": round(rendition.height),
        }

    def _opens_the_page(self, value, parent_context) -> bool:
        """Whether ``value`` is the first image of the page being rendered and one of its
        first blocks, so probably on screen when the page opens (decided without JS)."""
        body = getattr((parent_context or {}).get("page"), "body", None)
        if body is None:
            return False
        for index, child in enumerate(body):
            if index >= self.EAGER_WITHIN_BLOCKS:
                return False
            if child.block is self:
                return child.value is value
        return False

    class Meta:
        icon = "image"
        label = _("Imagen")
        template = "content/blocks/image.html"
        description = _("Una imagen con su descripción para lectores de pantalla.")


class VideoBlock(blocks.StructBlock):
    """A video: an uploaded file (with captions and transcript) or an external link.

    External videos are shown as a link, never as an embedded player, so a lesson page
    makes no request to a third party and spends no data until the learner decides.
    """

    title = blocks.CharBlock(label=_("Título"), max_length=150)
    video = DocumentChooserBlock(
        label=_("Archivo de video"), required=False, help_text=_("MP4 o WebM.")
    )
    embed_url = blocks.URLBlock(
        label=_("Enlace externo"),
        required=False,
        help_text=_("Por ejemplo, un video en YouTube. Use esto o un archivo, no ambos."),
    )
    captions = DocumentChooserBlock(
        label=_("Subtítulos (WebVTT)"),
        required=False,
        help_text=_("Archivo .vtt. Obligatorio con un archivo de video."),
    )
    transcript = blocks.RichTextBlock(
        label=_("Transcripción"),
        required=False,
        features=RICH_TEXT_FEATURES,
        help_text=_("Obligatoria con un archivo de video."),
    )
    low_data_video = DocumentChooserBlock(
        label=_("Versión ligera"),
        required=False,
        help_text=_("Opcional: un archivo más pequeño para quien tiene pocos datos."),
    )

    VIDEO_EXTENSIONS = ("mp4", "webm")

    def bulk_to_python(self, values):
        """The videos of a whole page, with their light versions in one query."""
        from content.media import attach_offers

        result = super().bulk_to_python(values)
        attach_offers([value.get("video") for value in result if value.get("video")])
        return result

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if bool(value.get("video")) == bool(value.get("embed_url")):
            errors["video"] = ValidationError(
                _("Elija un archivo de video o un enlace externo (uno de los dos).")
            )
        if value.get("video"):
            if value["video"].file_extension.lower() not in self.VIDEO_EXTENSIONS:
                errors["video"] = ValidationError(_("El video debe ser un archivo MP4 o WebM."))
            if not value.get("captions"):
                errors["captions"] = ValidationError(
                    _("Un video subido necesita subtítulos en formato WebVTT (.vtt).")
                )
            if not value.get("transcript") or not value["transcript"].source.strip():
                errors["transcript"] = ValidationError(
                    _("Un video subido necesita su transcripción.")
                )
        if value.get("captions") and value["captions"].file_extension.lower() != "vtt":
            errors["captions"] = ValidationError(
                _("Los subtítulos deben ser un archivo WebVTT (.vtt).")
            )
        low = value.get("low_data_video")
        if low and low.file_extension.lower() not in self.VIDEO_EXTENSIONS:
            errors["low_data_video"] = ValidationError(
                _("La versión ligera debe ser un archivo MP4 o WebM.")
            )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "media"
        label = _("Video")
        template = "content/blocks/video.html"
        description = _("Un video con subtítulos y transcripción, o un enlace a un video.")


class AudioBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Título"), max_length=150)
    audio = DocumentChooserBlock(label=_("Archivo de audio"), help_text=_("MP3, M4A u OGG."))
    transcript = blocks.RichTextBlock(label=_("Transcripción"), features=RICH_TEXT_FEATURES)

    AUDIO_EXTENSIONS = ("mp3", "m4a", "ogg")

    def bulk_to_python(self, values):
        """The audios of a whole page, with their compressed versions in one query."""
        from content.media import attach_offers

        result = super().bulk_to_python(values)
        attach_offers([value.get("audio") for value in result if value.get("audio")])
        return result

    def clean(self, value):
        value = super().clean(value)
        audio = value.get("audio")
        if audio and audio.file_extension.lower() not in self.AUDIO_EXTENSIONS:
            raise StructBlockValidationError(
                block_errors={
                    "audio": ValidationError(_("El audio debe ser un archivo MP3, M4A u OGG."))
                }
            )
        return value

    class Meta:
        icon = "media"
        label = _("Audio")
        template = "content/blocks/audio.html"
        description = _("Un audio con su transcripción.")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Documento"))
    title = blocks.CharBlock(label=_("Título"), max_length=150)
    description = blocks.CharBlock(label=_("Descripción"), required=False, max_length=300)

    class Meta:
        icon = "doc-full"
        label = _("Documento para descargar")
        template = "content/blocks/document.html"
        description = _("Un archivo que el educando puede descargar; se muestra su tamaño.")


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("Tipo"),
        choices=[("tip", _("Consejo")), ("important", _("Importante"))],
        default="tip",
    )
    title = blocks.CharBlock(label=_("Título"), required=False, max_length=120)
    body = blocks.RichTextBlock(label=_("Texto"), features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "warning"
        label = _("Recuadro")
        template = "content/blocks/callout.html"
        description = _("Un consejo o un aviso importante, destacado en un recuadro.")
        preview_value = {
            "kind": "tip",
            "title": "Un consejo",
            "body": "<p>Antes de pagar, compare el costo total.</p>",
        }


class GlossaryTermBlock(blocks.StructBlock):
    term = blocks.CharBlock(label=_("Palabra"), max_length=80)
    definition = blocks.TextBlock(label=_("Significado"))

    class Meta:
        icon = "help"
        label = _("Palabra del glosario")
        template = "content/blocks/glossary_term.html"
        description = _("Una palabra nueva y lo que significa, en palabras sencillas.")
        preview_value = {
            "term": "Denominador",
            "definition": "El número de abajo en una fracción: en cuántas partes se divide.",
        }


class WorkedExampleBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Título"), max_length=150)
    problem = blocks.RichTextBlock(label=_("Problema"), features=RICH_TEXT_FEATURES)
    steps = blocks.ListBlock(blocks.TextBlock(label=_("Paso")), label=_("Pasos"))
    answer = blocks.RichTextBlock(label=_("Resultado"), features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "list-ol"
        label = _("Ejemplo resuelto")
        template = "content/blocks/worked_example.html"
        description = _("Un problema resuelto paso a paso.")
        preview_value = {
            "title": "Repartir una pizza",
            "problem": "<p>Una pizza se corta en 8 partes y usted come 3.</p>",
            "steps": ["Cuente las partes en total: 8.", "Cuente las que comió: 3."],
            "answer": "<p>Comió 3/8 de la pizza.</p>",
        }


class PracticeAtHomeBlock(blocks.StructBlock):
    """Exercises to do at home, with their answers behind a native ``<details>``
    (``practice_at_home.html``): closed until the learner opens «Ver las respuestas», with
    no JavaScript; "Escuchar" does not read a closed ``<details>``."""

    title = blocks.CharBlock(
        label=_("Título"),
        required=False,
        max_length=120,
        help_text=_("Si lo deja vacío, se muestra «Practique en casa»."),
    )
    problems = blocks.RichTextBlock(label=_("Ejercicios"), features=RICH_TEXT_FEATURES)
    answers = blocks.RichTextBlock(
        label=_("Respuestas"),
        features=RICH_TEXT_FEATURES,
        help_text=_("Quedan ocultas hasta que el educando toca «Ver las respuestas»."),
    )

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        for name, message in (
            ("problems", _("Escriba los ejercicios.")),
            ("answers", _("Escriba las respuestas de los ejercicios.")),
        ):
            text = value.get(name)
            if not strip_tags(getattr(text, "source", text) or "").strip():
                errors[name] = ValidationError(message)
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "view"
        label = _("Practique en casa")
        template = "content/blocks/practice_at_home.html"
        description = _(
            "Ejercicios para hacer en casa, con las respuestas ocultas hasta que se piden."
        )
        preview_value = {
            "title": "Practique en casa",
            "problems": "<p>Calcule 1/4 de $80 y 2/3 de 30 minutos.</p>",
            "answers": "<p>1/4 de $80 son $20. 2/3 de 30 minutos son 20 minutos.</p>",
        }


class PhraseBlock(blocks.StructBlock):
    """A phrase in English with its meaning in Spanish (``phrase.html``): the English is
    marked ``lang="en"``, so screen readers switch language, and "Escuchar" reads it with
    the phone's English voice or leaves it out (never with the Spanish voice). Its button
    «Escuchar en inglés» shows only where the phone has an English voice
    (``static/js/escuchar.js``). Only ``meaning`` is Spanish: the lesson's readability
    leaves out the fields in ``not_spanish_fields``."""

    text = blocks.CharBlock(
        label=_("Frase en inglés"),
        max_length=200,
        help_text=_(
            "La frase como se escribe en inglés, sin formato. Por ejemplo: Where is the restroom?"
        ),
    )
    meaning = blocks.CharBlock(
        label=_("Significado en español"),
        help_text=_("Lo que quiere decir la frase, en palabras sencillas."),
    )
    sounds_like = blocks.CharBlock(
        label=_("Cómo se pronuncia"),
        required=False,
        max_length=200,
        help_text=_(
            "Opcional: cómo suena, escrito como se leería en español. Por ejemplo: Juér is de "
            "réstrum. Se muestra como «Se pronuncia: …»."
        ),
    )

    # Fields that are not Spanish words (``content/readability.py`` leaves them out).
    not_spanish_fields = ("text", "sounds_like")

    def clean(self, value):
        errors = {}
        for name, message in (
            ("text", _("Falta la frase en inglés: escríbala.")),
            ("meaning", _("Falta el significado en español de la frase: escríbalo.")),
        ):
            if not str(value.get(name) or "").strip():
                errors[name] = ValidationError(message)
        try:
            value = super().clean(value)
        except StructBlockValidationError as error:
            errors = {**error.block_errors, **errors}
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "globe"
        label = _("Frase en inglés")
        template = "content/blocks/phrase.html"
        description = _(
            "Una frase en inglés con su significado en español y, si quiere, cómo se pronuncia."
        )
        preview_value = {
            "text": "Where is the restroom?",
            "meaning": "¿Dónde está el baño?",
            "sounds_like": "Juér is de réstrum",
        }


class LessonStreamBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Texto"),
        features=RICH_TEXT_FEATURES,
        icon="pilcrow",
        template="content/blocks/paragraph.html",
        description=_("Párrafos de texto."),
        preview_value="<p>Una fracción es una parte de un entero.</p>",
    )
    heading = HeadingBlock()
    image = ImageBlock()
    video = VideoBlock()
    audio = AudioBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
    glossary_term = GlossaryTermBlock()
    worked_example = WorkedExampleBlock()
    practice_at_home = PracticeAtHomeBlock()
    phrase = PhraseBlock()


# --- Question blocks ------------------------------------------------------------------


class OptionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Opción"), max_length=300)
    correct = blocks.BooleanBlock(label=_("Es correcta"), required=False)
    feedback = blocks.CharBlock(
        label=_("Retroalimentación"),
        required=False,
        max_length=500,
        help_text=_("Lo que verá el educando si elige esta opción."),
    )
    pinned = blocks.BooleanBlock(
        label=_("Fija en su lugar"),
        required=False,
        help_text=_(
            "Las opciones se muestran en otro orden a cada educando y en cada intento. "
            "Marque esta casilla para que esta opción no se mueva, por ejemplo «Todas las "
            "anteriores» o «Ninguna de las anteriores»."
        ),
    )

    # The library format leaves these fields out of a file unless they are set (true).
    omitted_in_files_unless_set = ("pinned",)

    class Meta:
        icon = "radio-full"
        label = _("Opción")


class BaseQuestionBlock(blocks.StructBlock):
    """A question of an assessment; each subclass is one question type, whole.

    A type declares its fields, ``kind`` (its name in ``QuestionStreamBlock``), a
    ``template`` (the answer field, rendered inside the page's fieldset with ``block_id``,
    ``kind`` and, for types that shuffle, ``options``), a ``preview_value`` in its Meta, and
    overrides ``grade``, ``given_texts``, ``right_texts`` and ``example_answer``. All four
    are pure: no database, no request; ``value`` is the block's value (a StructValue whose
    options are bound blocks with their ids, or a plain dict for the fields a type reads),
    ``given`` the values the quiz form sent for the question.
    """

    prompt = blocks.TextBlock(label=_("Pregunta"))
    topic = blocks.CharBlock(
        label=_("Tema o módulo evaluado"),
        required=False,
        max_length=60,
        help_text=_(
            "Opcional. En un diagnóstico, la clave del módulo que evalúa esta pregunta "
            "(por ejemplo B3MFP): el resultado recomienda cursos por módulo."
        ),
    )
    outcome = blocks.IntegerBlock(
        label=_("Aprendizaje esperado que evalúa"),
        required=False,
        min_value=1,
        help_text=_(
            "El número del aprendizaje esperado en la lista de la página del curso (1 = el "
            "primero). El examen final del curso debe evaluar cada aprendizaje esperado con "
            "al menos una pregunta."
        ),
    )

    # The library format leaves these fields out of a file unless they are set.
    omitted_in_files_unless_set = ("outcome",)

    kind = ""
    # Minutes one answer of this type takes a learner who may read slowly: the course's
    # study time adds them up (``courses.models.study_time``). Every type sets its own
    # (``content.checks``); the usual one minute per choice question for fluent readers
    # is raised because Aula's learners are adults who may read slowly, and many items
    # are word problems.
    answer_minutes: ClassVar[Fraction | None] = None
    # Whether the type shows options that each learner sees in their own order
    # (``options`` in its value, bound blocks with ids; pinned ones stay in place).
    shuffles_options: ClassVar[bool] = False
    # Whether an answer is a choice among options (option ids, or the fixed ones below):
    # the item analysis counts how often each was chosen. Typed answers are not.
    answers_are_options: ClassVar[bool] = False
    # The option ids of a type whose options are not in its value (true/false): one answer,
    # the first value given if it is one of them.
    fixed_options: ClassVar[tuple[str, ...]] = ()

    # The methods every question type overrides (``content.checks`` makes sure).
    PROTOCOL: ClassVar[tuple[str, ...]] = (
        "grade",
        "given_texts",
        "right_texts",
        "example_answer",
    )

    def grade(self, value: Any, given: list[str]) -> dict[str, Any]:
        """Grade an answer: ``{"kind", "answered", "correct", "feedback"}`` (feedback: a list
        of texts), plus ``"right_options"`` (their texts) for choice types. Stored in the
        attempt, so the results page shows it as it was when graded."""
        raise NotImplementedError(f"{type(self).__name__}.grade")

    def given_texts(self, value: Any, given: list[str]) -> list[str]:
        """What the learner answered, as they saw it (for the results page)."""
        raise NotImplementedError(f"{type(self).__name__}.given_texts")

    def right_texts(self, value: Any, result: dict[str, Any]) -> list[str]:
        """The right answer, as it was when the attempt was taken (``value`` from the
        pinned revision, ``result`` what ``grade`` stored)."""
        raise NotImplementedError(f"{type(self).__name__}.right_texts")

    def example_answer(self, value: Any) -> list[str]:
        """A right answer, as the quiz form sends it (for tests and the preview)."""
        raise NotImplementedError(f"{type(self).__name__}.example_answer")

    def phone_key(self, value: Any) -> dict[str, Any]:
        """What a phone needs to grade this question offline, for practice quizzes only
        (``static/js/progress.js``): ``{"match": "set", "right": [form values]}``,
        ``{"match": "number", "answer", "tolerance"}`` or ``{"match": "text", "accepted":
        [normalized answers]}``. The phone's grade is provisional: the server grades the
        answers again when they arrive, and its result is the one that counts."""
        return {"match": "set", "right": self.example_answer(value)}

    @staticmethod
    def answered(given: list[str]) -> list[str]:
        """The values of ``given`` that say something (not empty, not only spaces)."""
        return [g for g in given if g is not None and str(g).strip() != ""]

    def explained(self, value: Any, given: list[str], *, correct: bool) -> dict[str, Any]:
        """The result of a type whose feedback is its ``explanation`` (if any)."""
        return {
            "kind": self.kind,
            "answered": bool(given),
            "correct": correct,
            "feedback": [value["explanation"]] if value.get("explanation") else [],
        }

    def get_preview_context(self, value: Any, parent_context: Any = None) -> Any:
        """The block picker's preview shows the question as the page does: its prompt,
        then the answer field (``preview_template``)."""
        context = super().get_preview_context(value, parent_context)
        context.update(block_id="vista-previa", kind=self.kind)
        return context

    class Meta:
        icon = "help"
        preview_template = "content/questions/preview.html"


class ChoiceQuestionBlock(BaseQuestionBlock):
    """What choice types share: options with ids, shown in each learner's own order, and
    graded by option id. Not a type of its own: its subclasses declare ``options``."""

    shuffles_options = True
    answers_are_options = True

    def grade(self, value: Any, given: list[str]) -> dict[str, Any]:
        given = self.answered(given)
        options = list(value["options"].bound_blocks)
        right = {o.id for o in options if o.value["correct"]}
        chosen = set(given) & {o.id for o in options}
        return {
            "kind": self.kind,
            "answered": bool(given),
            "correct": bool(chosen) and chosen == right,
            "feedback": [
                o.value["feedback"] for o in options if o.id in chosen and o.value["feedback"]
            ],
            "right_options": [o.value["text"] for o in options if o.id in right],
        }

    def given_texts(self, value: Any, given: list[str]) -> list[str]:
        texts = {o.id: o.value["text"] for o in value["options"].bound_blocks}
        return [texts[g] for g in given if g and g.strip() and g in texts]

    def right_texts(self, value: Any, result: dict[str, Any]) -> list[str]:
        return list(result.get("right_options", []))

    def example_answer(self, value: Any) -> list[str]:
        return [o.id for o in value["options"].bound_blocks if o.value["correct"]]


class SingleChoiceBlock(ChoiceQuestionBlock):
    options = blocks.ListBlock(OptionBlock(), label=_("Opciones"), min_num=2, max_num=8)

    kind = "single_choice"
    answer_minutes = Fraction(3, 2)  # read the question and three or four options

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for option in value["options"] if option["correct"])
        if correct != 1:
            raise StructBlockValidationError(
                block_errors={
                    "options": ValidationError(
                        _("Marque exactamente una opción correcta (ahora hay %(n)d).")
                        % {"n": correct}
                    )
                }
            )
        return value

    class Meta:
        icon = "radio-full"
        label = _("Opción única")
        template = "content/questions/choice.html"
        description = _("El educando elige una sola respuesta.")
        preview_value = {
            "prompt": (
                "Doña Rosa tiene que pagar $300 de luz y ya dio la mitad. ¿Qué fracción del "
                "recibo le falta pagar?"
            ),
            "topic": "",
            "options": [
                {
                    "text": "1/2",
                    "correct": True,
                    "feedback": "Si ya pagó la mitad, le falta la otra mitad: $150.",
                    "pinned": False,
                },
                {
                    "text": "1/3",
                    "correct": False,
                    "feedback": "Un tercio sería $100; ella ya pagó $150.",
                    "pinned": False,
                },
                {
                    "text": "1/4",
                    "correct": False,
                    "feedback": "Un cuarto sería $75; le falta más que eso.",
                    "pinned": False,
                },
            ],
        }


class MultipleChoiceBlock(ChoiceQuestionBlock):
    options = blocks.ListBlock(OptionBlock(), label=_("Opciones"), min_num=2, max_num=10)

    kind = "multiple_choice"
    answer_minutes = Fraction(2)  # judge every option on its own

    def clean(self, value):
        value = super().clean(value)
        if not any(option["correct"] for option in value["options"]):
            raise StructBlockValidationError(
                block_errors={"options": ValidationError(_("Marque al menos una opción correcta."))}
            )
        return value

    class Meta:
        icon = "tasks"
        label = _("Opción múltiple")
        template = "content/questions/choice.html"
        description = _("El educando marca todas las respuestas correctas.")
        preview_value = {
            "prompt": "¿Cuáles de estos documentos sirven como identificación oficial?",
            "topic": "",
            "options": [
                {
                    "text": "Credencial para votar (INE)",
                    "correct": True,
                    "feedback": "",
                    "pinned": False,
                },
                {"text": "Pasaporte mexicano", "correct": True, "feedback": "", "pinned": False},
                {
                    "text": "Recibo de luz",
                    "correct": False,
                    "feedback": "El recibo de luz es un comprobante de domicilio, no una "
                    "identificación.",
                    "pinned": False,
                },
                {
                    "text": "Acta de nacimiento",
                    "correct": False,
                    "feedback": "El acta prueba su nacimiento y su nombre, pero no lleva "
                    "fotografía: no es una identificación.",
                    "pinned": False,
                },
            ],
        }


class TrueFalseBlock(BaseQuestionBlock):
    answer = blocks.BooleanBlock(
        label=_("La afirmación es verdadera"),
        required=False,
        help_text=_("Marque la casilla si la respuesta correcta es «Verdadero»."),
    )
    explanation = blocks.TextBlock(label=_("Explicación"), required=False)

    kind = "true_false"
    answer_minutes = Fraction(1)  # read one statement and decide
    answers_are_options = True
    fixed_options = ("true", "false")

    def grade(self, value: Any, given: list[str]) -> dict[str, Any]:
        given = self.answered(given)
        return self.explained(value, given, correct=given[:1] == [self._form_value(value)])

    def given_texts(self, value: Any, given: list[str]) -> list[str]:
        given = [g for g in given if g and g.strip()]
        return [self._text(g == "true") for g in given[:1] if g in ("true", "false")]

    def right_texts(self, value: Any, result: dict[str, Any]) -> list[str]:
        return [self._text(bool(value["answer"]))]

    def example_answer(self, value: Any) -> list[str]:
        return [self._form_value(value)]

    @staticmethod
    def _form_value(value: Any) -> str:
        """The right answer as the form sends it."""
        return "true" if value["answer"] else "false"

    @staticmethod
    def _text(answer: bool) -> str:
        return gettext("Verdadero") if answer else gettext("Falso")

    class Meta:
        icon = "tick"
        label = _("Verdadero o falso")
        template = "content/questions/true_false.html"
        description = _("Una afirmación que el educando califica de verdadera o falsa.")
        preview_value = {
            "prompt": (
                "Si una persona adulta tiene diarrea, debe tomar suero oral aunque no tenga sed."
            ),
            "topic": "",
            "answer": True,
            "explanation": (
                "El suero repone el agua y las sales que el cuerpo pierde; tómelo a sorbos "
                "aunque no tenga sed."
            ),
        }


class NumericBlock(BaseQuestionBlock):
    answer = blocks.FloatBlock(
        label=_("Respuesta"),
        help_text=_(
            "Con punto decimal: para 3/8 escriba 0.375. El educando puede escribir fracciones "
            "(3/8, 1 3/4, 1 y 3/4, ¾), decimales con punto o coma (12.5 o 12,5), miles con coma, "
            "punto o espacio (1,250.50 o 1.250,50), signos $ y %, y una unidad después del "
            "número (45 minutos, 250 pesos). Ojo: 1,234 y 1.234 se leen como mil doscientos "
            "treinta y cuatro."
        ),
    )
    tolerance = blocks.FloatBlock(
        label=_("Margen aceptado"),
        default=0,
        min_value=0,
        help_text=_(
            "Se acepta la respuesta si no se aleja más que esto. 0 = exacta. Si la respuesta "
            "no tiene un decimal exacto (1/3 = 0.333…), ponga un margen, por ejemplo 0.01."
        ),
    )
    unit = blocks.CharBlock(
        label=_("Unidad"),
        required=False,
        max_length=20,
        help_text=_(
            "Por ejemplo: %, $, kg. Se muestra junto a la casilla; el educando puede escribirla "
            "o no. Con %, la respuesta es el número escrito: 45 % es 45."
        ),
    )
    explanation = blocks.TextBlock(label=_("Explicación"), required=False)

    kind = "numeric"
    answer_minutes = Fraction(3)  # a calculation on paper or with the phone's calculator

    # Float noise a stored answer may carry (0.1 + 0.2 is 0.30000000000000004): allowed.
    SLACK: ClassVar[Fraction] = Fraction(1, 10**9)

    def grade(self, value: Any, given: list[str]) -> dict[str, Any]:
        # Exact arithmetic on the answer and tolerance as the author wrote them, so the
        # boundary counts ("3.15" for 3.14 ± 0.01); SLACK absorbs float noise in a stored
        # answer (0.30000000000000004), so it never fails a learner.
        given = self.answered(given)
        number = parse_number(given[0]) if given else None
        answer = self.as_fraction(value["answer"])
        tolerance = abs(self.as_fraction(value["tolerance"] or 0) or Fraction(0))
        correct = (
            number is not None
            and answer is not None
            and abs(number - answer) <= tolerance + self.SLACK
        )
        return self.explained(value, given, correct=correct)

    def given_texts(self, value: Any, given: list[str]) -> list[str]:
        return [g for g in given if g and g.strip()][:1]

    def right_texts(self, value: Any, result: dict[str, Any]) -> list[str]:
        number = format(Decimal(str(value["answer"])).normalize(), "f")
        return [f"{number} {value['unit']}".strip() if value.get("unit") else number]

    def example_answer(self, value: Any) -> list[str]:
        return [str(value["answer"])]

    def phone_key(self, value: Any) -> dict[str, Any]:
        return {
            "match": "number",
            "answer": str(value["answer"]),
            "tolerance": str(value["tolerance"] or 0),
        }

    @staticmethod
    def as_fraction(number: object) -> Fraction | None:
        """An author's float (answer or tolerance) as the decimal they typed: 0.1 is 1/10."""
        if number is None or isinstance(number, bool):
            return None
        try:
            return Fraction(str(number))
        except (ValueError, ZeroDivisionError):  # nan, inf
            return None

    class Meta:
        icon = "order"
        label = _("Respuesta numérica")
        template = "content/questions/numeric.html"
        description = _("El educando escribe un número.")
        preview_value = {
            "prompt": "Un pantalón cuesta $480 y tiene 25 % de descuento. ¿Cuánto paga por él?",
            "topic": "",
            "answer": 360.0,
            "tolerance": 0.0,
            "unit": "pesos",
            "explanation": "El 25 % de 480 es 120; 480 − 120 = 360.",
        }


class ShortAnswerBlock(BaseQuestionBlock):
    accepted_answers = blocks.ListBlock(
        blocks.CharBlock(label=_("Respuesta aceptada"), max_length=200),
        label=_("Respuestas aceptadas"),
        min_num=1,
        help_text=_("No importan mayúsculas, acentos ni espacios de más."),
    )
    explanation = blocks.TextBlock(label=_("Explicación"), required=False)

    kind = "short_answer"
    answer_minutes = Fraction(2)  # work out and write a short answer

    def grade(self, value: Any, given: list[str]) -> dict[str, Any]:
        given = self.answered(given)
        accepted = {normalize_text(a) for a in value["accepted_answers"]}
        correct = bool(given) and normalize_text(given[0]) in accepted
        return self.explained(value, given, correct=correct)

    def given_texts(self, value: Any, given: list[str]) -> list[str]:
        return [g for g in given if g and g.strip()][:1]

    def right_texts(self, value: Any, result: dict[str, Any]) -> list[str]:
        return list(value["accepted_answers"])[:1]

    def example_answer(self, value: Any) -> list[str]:
        return [value["accepted_answers"][0]]

    def phone_key(self, value: Any) -> dict[str, Any]:
        return {
            "match": "text",
            "accepted": sorted({normalize_text(a) for a in value["accepted_answers"]}),
        }

    class Meta:
        icon = "edit"
        label = _("Respuesta corta")
        template = "content/questions/short_answer.html"
        description = _("El educando escribe una palabra o frase corta.")
        preview_value = {
            "prompt": (
                "¿Cómo se llama la clave de 18 letras y números que identifica a cada persona "
                "en México? Escriba sus siglas."
            ),
            "topic": "",
            "accepted_answers": ["CURP", "Clave Única de Registro de Población"],
            "explanation": "La CURP: Clave Única de Registro de Población.",
        }


class QuestionStreamBlock(blocks.StreamBlock):
    single_choice = SingleChoiceBlock()
    multiple_choice = MultipleChoiceBlock()
    true_false = TrueFalseBlock()
    numeric = NumericBlock()
    short_answer = ShortAnswerBlock()

    class Meta:
        min_num = 1
