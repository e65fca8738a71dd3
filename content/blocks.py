"""StreamField blocks for lessons and for assessment questions.

These blocks know nothing of courses or learners. Stored learner data (quiz answers) refers
to a block by its stable StreamField ``id``, never by its position, so editors can reorder
or republish without changing what an answer meant.

Every block declares an icon, a template, a description and a preview value, so the
Wagtail editor shows asesores what each block is before they add it.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

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
    image = ImageChooserBlock(label=_("Imagen"))
    alt = blocks.CharBlock(
        label=_("Texto alternativo"),
        max_length=250,
        help_text=_("Describa la imagen para quien no puede verla. Obligatorio."),
    )
    caption = blocks.CharBlock(label=_("Pie de imagen"), required=False, max_length=250)

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

    kind = ""

    class Meta:
        icon = "help"


class SingleChoiceBlock(BaseQuestionBlock):
    options = blocks.ListBlock(OptionBlock(), label=_("Opciones"), min_num=2, max_num=8)

    kind = "single_choice"

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
            "prompt": "¿Cuál fracción es mayor?",
            "options": [
                {"text": "1/2", "correct": True, "feedback": ""},
                {"text": "1/3", "correct": False, "feedback": ""},
            ],
        }


class MultipleChoiceBlock(BaseQuestionBlock):
    options = blocks.ListBlock(OptionBlock(), label=_("Opciones"), min_num=2, max_num=10)

    kind = "multiple_choice"

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


class TrueFalseBlock(BaseQuestionBlock):
    answer = blocks.BooleanBlock(
        label=_("La afirmación es verdadera"),
        required=False,
        help_text=_("Marque la casilla si la respuesta correcta es «Verdadero»."),
    )
    explanation = blocks.TextBlock(label=_("Explicación"), required=False)

    kind = "true_false"

    class Meta:
        icon = "tick"
        label = _("Verdadero o falso")
        template = "content/questions/true_false.html"
        description = _("Una afirmación que el educando califica de verdadera o falsa.")


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

    class Meta:
        icon = "order"
        label = _("Respuesta numérica")
        template = "content/questions/numeric.html"
        description = _("El educando escribe un número.")


class ShortAnswerBlock(BaseQuestionBlock):
    accepted_answers = blocks.ListBlock(
        blocks.CharBlock(label=_("Respuesta aceptada"), max_length=200),
        label=_("Respuestas aceptadas"),
        min_num=1,
        help_text=_("No importan mayúsculas, acentos ni espacios de más."),
    )
    explanation = blocks.TextBlock(label=_("Explicación"), required=False)

    kind = "short_answer"

    class Meta:
        icon = "edit"
        label = _("Respuesta corta")
        template = "content/questions/short_answer.html"
        description = _("El educando escribe una palabra o frase corta.")


class QuestionStreamBlock(blocks.StreamBlock):
    single_choice = SingleChoiceBlock()
    multiple_choice = MultipleChoiceBlock()
    true_false = TrueFalseBlock()
    numeric = NumericBlock()
    short_answer = ShortAnswerBlock()

    class Meta:
        min_num = 1
