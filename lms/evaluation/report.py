"""The quarterly evaluation report: its figures (``collect``), the PDF for funders
(``write_pdf``: key figures, charts, tables, a plain-language methodology) and the CSV
annex (``write_csv``: every figure of the PDF, one per row, in long format).

Both files are built from the same ``ReportFigures`` and the same rows (``sections``),
so the annex cannot disagree with the PDF. Call them under ``translation.override`` of
the report's language: every word comes from the catalogue. Groups too small to show
(``Gain.too_few`` and the like) print "muy pocos datos" and no figure, not even their n.

The PDF is drawn with reportlab's platypus and reportlab.graphics shapes, in Aula's
embedded fonts only (``lms.pdf``): no chart label falls back to Helvetica.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import IO

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from lms.dates import written_date
from lms.enrollment.read_models import Sede
from lms.evaluation import gains, retention
from lms.evaluation.figures import (
    CompletionTime,
    CredentialFunnel,
    Gain,
    Period,
    RetentionCurve,
    min_group,
)
from lms.pdf import BOLD, ITALIC, REGULAR, register_fonts, text_width

BOM = "\ufeff".encode()
CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
RETENTION_WEEKS = 12
# Weeks of the retention curves shown in the PDF's table (the annex has every week).
RETENTION_TABLE_WEEKS = (1, 4, 8, 12)

QUARTER_NAMES = {
    1: gettext_lazy("Primer trimestre de %(year)s"),
    2: gettext_lazy("Segundo trimestre de %(year)s"),
    3: gettext_lazy("Tercer trimestre de %(year)s"),
    4: gettext_lazy("Cuarto trimestre de %(year)s"),
}

# Colours of the charts (dark enough on white for print and for people with low vision;
# the curves also differ by dash pattern, so they read in black and white).
INK = colors.Color(0.1, 0.1, 0.1)
GREY = colors.Color(0.45, 0.45, 0.45)
LIGHT = colors.Color(0.88, 0.88, 0.88)
GREEN = colors.Color(0.04, 0.43, 0.31)
SERIES = [
    colors.Color(0.04, 0.43, 0.31),
    colors.Color(0.13, 0.3, 0.6),
    colors.Color(0.7, 0.3, 0.05),
    colors.Color(0.45, 0.2, 0.5),
    colors.Color(0.3, 0.3, 0.3),
    colors.Color(0.6, 0.1, 0.2),
]
DASHES: list[list[float] | None] = [None, [4, 2], [1, 2], [6, 2, 1, 2], [2, 2], [8, 3]]


@dataclass(frozen=True)
class ReportFigures:
    """Everything a report shows, computed once (``collect``) for one scope and quarter."""

    scope_label: str
    is_program: bool
    year: int
    quarter: int
    period: Period
    gains_by_course: list[Gain]
    gains_total: Gain
    gains_by_group: list[Gain]  # by sede for the program, by grupo for a sede
    retention: list[RetentionCurve]
    completion: CompletionTime
    funnel: CredentialFunnel
    min_group: int = field(default_factory=min_group)
    generated_on: date = field(default_factory=timezone.localdate)


def collect(
    *,
    sedes: Sequence[Sede],
    scope_label: str,
    is_program: bool,
    period: Period,
    year: int,
    quarter: int,
) -> ReportFigures:
    """The figures of the report for ``sedes`` (one sede, or every sede for the program)
    about the learners who enrolled in ``period``. The credential funnel is about every
    learner of the scope: it counts what they have covered so far, whenever they came."""
    by_course, total = gains.learning_gains(sedes=sedes, by="course", period=period)
    by_group, _total = gains.learning_gains(
        sedes=sedes, by="sede" if is_program else "grupo", period=period
    )
    return ReportFigures(
        scope_label=scope_label,
        is_program=is_program,
        year=year,
        quarter=quarter,
        period=period,
        gains_by_course=by_course,
        gains_total=total,
        gains_by_group=by_group,
        retention=retention.retention_curves(sedes=sedes, period=period, weeks=RETENTION_WEEKS),
        completion=retention.time_to_completion(sedes=sedes, period=period, label=scope_label),
        funnel=retention.credential_funnel(sedes=sedes, label=scope_label),
    )


# --- Numbers as printed -------------------------------------------------------------------


def number(value: float | int | None, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals and a decimal point (as in Mexico and the US);
    an em dash when there is none."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def too_few_text() -> str:
    return _("muy pocos datos")


def quarter_name(year: int, quarter: int) -> str:
    return str(QUARTER_NAMES[quarter]) % {"year": year}


def _language() -> str:
    return get_language() or "es-mx"


def period_text(period: Period) -> str:
    """ "del 1 de julio al 30 de septiembre de 2026" (the year once when both days share
    it)."""
    language = _language()
    same_year = period.start and period.end and period.start.year == period.end.year
    return _("del %(start)s al %(end)s") % {
        "start": written_date(period.start, language, "dia_mes" if same_year else "larga"),
        "end": written_date(period.end, language),
    }


# --- The rows shared by the PDF's tables and the annex -----------------------------------


@dataclass(frozen=True)
class Row:
    """One figure: ``section``, the ``group`` it is about, the ``measure``, its ``value``
    (a number, or the words "muy pocos datos") and the ``n`` it rests on."""

    section: str
    group: str
    measure: str
    value: str
    n: str


def _gain_rows(section: str, gain: Gain) -> list[Row]:
    label = gain.label
    if gain.too_few:
        return [Row(section, label, _("muy pocos datos"), too_few_text(), "")]
    n = str(gain.n)
    return [
        Row(section, label, _("promedio antes (0–100)"), number(gain.pre_mean), n),
        Row(section, label, _("promedio después (0–100)"), number(gain.post_mean), n),
        Row(section, label, _("ganancia normalizada (g)"), number(gain.g, 2), n),
        Row(
            section, label, _("g, límite inferior del intervalo de 95 %"), number(gain.g_low, 2), n
        ),
        Row(
            section, label, _("g, límite superior del intervalo de 95 %"), number(gain.g_high, 2), n
        ),
    ]


def gains_section(figures: ReportFigures) -> str:
    return _("Aprendizaje por curso")


def group_section(figures: ReportFigures) -> str:
    return _("Aprendizaje por sede") if figures.is_program else _("Aprendizaje por grupo")


def total_section() -> str:
    return _("Aprendizaje en total")


def retention_measure(week: int) -> str:
    return _("%% activos en la semana %(week)s") % {"week": week}


def sections(figures: ReportFigures) -> list[Row]:
    """Every figure of the report, in the order the PDF shows them."""
    rows: list[Row] = []
    total = figures.gains_total
    rows += _gain_rows(total_section(), replace(total, label=figures.scope_label))
    for gain in figures.gains_by_course:
        rows += _gain_rows(gains_section(figures), gain)
    for gain in figures.gains_by_group:
        rows += _gain_rows(group_section(figures), gain)
    section = _("Permanencia")
    for curve in figures.retention:
        if curve.too_few:
            rows.append(Row(section, curve.label, _("muy pocos datos"), too_few_text(), ""))
            continue
        for week, share in curve.points:
            rows.append(
                Row(section, curve.label, retention_measure(week), number(share), str(curve.n))
            )
    section = _("Tiempo hasta concluir un curso")
    completion = figures.completion
    if completion.too_few:
        rows.append(Row(section, completion.label, _("muy pocos datos"), too_few_text(), ""))
    else:
        n = str(completion.n)
        rows += [
            Row(section, completion.label, _("mediana (días)"), number(completion.median_days), n),
            Row(
                section, completion.label, _("primer cuartil (días)"), number(completion.q1_days), n
            ),
            Row(
                section, completion.label, _("tercer cuartil (días)"), number(completion.q3_days), n
            ),
        ]
    section = _("Camino a la certificación")
    funnel = figures.funnel
    if funnel.too_few:
        rows.append(Row(section, funnel.label, _("muy pocos datos"), too_few_text(), ""))
    else:
        n = str(funnel.learners)
        (first, learners), *steps = funnel_steps(funnel)
        rows.append(Row(section, funnel.label, first, str(learners), n))
        for measure, count in steps:
            rows.append(Row(section, funnel.label, measure, str(count), n))
            rows.append(
                Row(
                    section,
                    funnel.label,
                    _("%(step)s (%%)") % {"step": measure},
                    number(percent(count, funnel.learners)),
                    n,
                )
            )
    return rows


def funnel_steps(funnel: CredentialFunnel) -> list[tuple[str, int]]:
    """The funnel's steps with their labels, as the evaluation pages name them."""
    return retention.funnel_steps(funnel)


# --- CSV ------------------------------------------------------------------------------------


def csv_headers() -> list[str]:
    return [_("sección"), _("grupo"), _("medida"), _("valor"), _("n")]


def write_csv(figures: ReportFigures, out: IO[bytes]) -> int:
    """The annex (UTF-8 with a BOM, so Excel reads the accents) to ``out``; returns the
    number of rows after the header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_headers())
    rows = sections(figures)
    for row in rows:
        writer.writerow([_safe(row.section), _safe(row.group), row.measure, row.value, row.n])
    out.write(BOM)
    out.write(buffer.getvalue().encode())
    return len(rows)


def _safe(text: str) -> str:
    """Names typed by people (sedes, grupos, courses) that start like a spreadsheet formula
    are quoted as text (CSV injection)."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


# --- PDF: charts --------------------------------------------------------------------------

# The frame is 6.5 in wide less its padding (6 pt a side): charts and tables fit in it.
CHART_WIDTH = 6.3 * inch
# Courses per gains chart: a longer list is drawn as several charts, none taller than a page.
GAINS_PER_CHART = 25
LABEL_SIZE = 7.5


def _drawing(width: float, height: float) -> Drawing:
    """A drawing whose text starts in Aula's font (reportlab's starts in Helvetica, which
    the PDF would then list without embedding it)."""
    register_fonts()
    drawing = Drawing(width, height)
    drawing.initialFontName = REGULAR
    drawing.initialFontSize = LABEL_SIZE
    return drawing


def _fit(text: str, width: float, size: float = LABEL_SIZE) -> str:
    """``text`` cut with an ellipsis to ``width`` (chart labels only: tables show it whole)."""
    if text_width(text, REGULAR, size) <= width:
        return text
    while text and text_width(text + "…", REGULAR, size) > width:
        text = text[:-1]
    return text + "…"


def _label(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: float = LABEL_SIZE,
    font: str = REGULAR,
    colour: colors.Color = INK,
) -> String:
    return String(x, y, text, fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor)


def funnel_chart(funnel: CredentialFunnel) -> Drawing:
    """Horizontal bars: learners, then each step toward the primaria credential, each
    labelled with its count and share."""
    steps = funnel_steps(funnel)
    bar, gap, label_width = 16.0, 8.0, 3.4 * inch
    height = len(steps) * (bar + gap) + 4
    drawing = _drawing(CHART_WIDTH, height)
    room = CHART_WIDTH - label_width - 0.8 * inch
    for index, (name, count) in enumerate(steps):
        y = height - (index + 1) * (bar + gap)
        width = room * count / funnel.learners if funnel.learners else 0
        drawing.add(_label(label_width - 6, y + 5, _fit(name, label_width - 8), anchor="end"))
        drawing.add(Rect(label_width, y, room, bar, fillColor=LIGHT, strokeColor=None))
        drawing.add(Rect(label_width, y, width, bar, fillColor=GREEN, strokeColor=None))
        share = percent(count, funnel.learners)
        drawing.add(_label(label_width + room + 4, y + 5, f"{count} ({number(share, 0)} %)"))
    return drawing


def retention_chart(curves: Sequence[RetentionCurve], weeks: int = RETENTION_WEEKS) -> Drawing:
    """One line per cohort (weeks since enrollment → % still active), each with its own
    colour and dash pattern, and a legend."""
    shown = [curve for curve in curves if not curve.too_few and curve.points]
    columns = 2
    legend_rows = (len(shown) + columns - 1) // columns
    left, bottom, plot_height = 0.45 * inch, 0.4 * inch, 2.2 * inch
    height = bottom + plot_height + 10 + legend_rows * 12
    drawing = _drawing(CHART_WIDTH, height)
    plot_width = CHART_WIDTH - left - 10
    top = bottom + plot_height

    def x_of(week: float) -> float:
        return float(left + plot_width * week / max(weeks, 1))

    def y_of(share: float) -> float:
        return float(bottom + plot_height * share / 100)

    for tick in (0, 25, 50, 75, 100):
        drawing.add(Line(left, y_of(tick), left + plot_width, y_of(tick), strokeColor=LIGHT))
        drawing.add(_label(left - 4, y_of(tick) - 2.5, f"{tick} %", anchor="end"))
    for week in range(0, weeks + 1, 2):
        drawing.add(_label(x_of(week), bottom - 11, str(week), anchor="middle"))
    drawing.add(
        _label(
            left + plot_width / 2, bottom - 23, _("semanas desde la inscripción"), anchor="middle"
        )
    )
    drawing.add(Line(left, bottom, left, top, strokeColor=GREY))
    drawing.add(Line(left, bottom, left + plot_width, bottom, strokeColor=GREY))
    for index, curve in enumerate(shown):
        colour = SERIES[index % len(SERIES)]
        dash = DASHES[index % len(DASHES)]
        points: list[float] = []
        for at_week, share in curve.points:
            points += [x_of(at_week), y_of(share)]
        if len(points) >= 4:
            drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=1.6, strokeDashArray=dash))
        else:
            drawing.add(Circle(points[0], points[1], 2, fillColor=colour, strokeColor=None))
        column, row = index % columns, index // columns
        x = left + column * plot_width / columns
        y = top + 6 + (legend_rows - 1 - row) * 12
        drawing.add(
            Line(x, y + 3, x + 18, y + 3, strokeColor=colour, strokeWidth=1.6, strokeDashArray=dash)
        )
        drawing.add(
            _label(x + 22, y, _fit(f"{curve.label} (n = {curve.n})", plot_width / columns - 26))
        )
    return drawing


def gains_chart(gains: Sequence[Gain]) -> Drawing:
    """Each group's normalised gain as a dot on its 95 % interval (a line), against an axis
    that always shows 0 (no gain) and 1 (everything left to learn was learnt)."""
    shown = [gain for gain in gains if not gain.too_few and gain.g is not None]
    row, label_width, bottom = 16.0, 2.4 * inch, 0.35 * inch
    height = bottom + len(shown) * row + 6
    drawing = _drawing(CHART_WIDTH, height)
    lows = [gain.g_low if gain.g_low is not None else gain.g for gain in shown]
    highs = [gain.g_high if gain.g_high is not None else gain.g for gain in shown]
    # The axis runs between quarters (…, −0.25, 0, 0.25, …, 1, …), ticked at each.
    low = math.floor(4 * min([0.0, *[value for value in lows if value is not None]])) / 4
    high = math.ceil(4 * max([1.0, *[value for value in highs if value is not None]])) / 4
    room = CHART_WIDTH - label_width - 14

    def x_of(value: float) -> float:
        return float(label_width + room * (value - low) / (high - low))

    ticks = [low + index / 4 for index in range(round(4 * (high - low)) + 1)]
    for value in ticks:
        drawing.add(Line(x_of(value), bottom, x_of(value), height - 2, strokeColor=LIGHT))
        drawing.add(_label(x_of(value), bottom - 11, number(value, 2), anchor="middle"))
    drawing.add(Line(x_of(0), bottom, x_of(0), height - 2, strokeColor=GREY))
    for index, gain in enumerate(shown):
        y = height - 6 - (index + 0.5) * row
        drawing.add(
            _label(label_width - 6, y - 2.5, _fit(gain.label, label_width - 8), anchor="end")
        )
        if gain.g_low is not None and gain.g_high is not None:
            drawing.add(
                Line(x_of(gain.g_low), y, x_of(gain.g_high), y, strokeColor=GREEN, strokeWidth=1.4)
            )
            for end in (gain.g_low, gain.g_high):
                drawing.add(Line(x_of(end), y - 3, x_of(end), y + 3, strokeColor=GREEN))
        assert gain.g is not None
        drawing.add(Circle(x_of(gain.g), y, 3, fillColor=GREEN, strokeColor=None))
    return drawing


# --- PDF: text and tables -----------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=14, textColor=INK)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=20, leading=24),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=13, leading=17),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=13, leading=17, spaceBefore=12, spaceAfter=4
        ),
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontName=ITALIC, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=8.5, leading=10.5),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(
    header: list[str],
    body: list[list[str]],
    widths: list[float],
    styles: dict[str, ParagraphStyle],
    *,
    too_few_from: int | None = None,
) -> Table:
    """A table with a header row. A row whose cell ``too_few_from`` says "muy pocos
    datos" has that cell spanning to the end of the row."""
    cells = [[Paragraph(_escape(text), styles["head"]) for text in header]]
    cells += [[Paragraph(_escape(text), styles["cell"]) for text in line] for line in body]
    commands: list[tuple[object, ...]] = [
        # Cells are paragraphs, but a table sets its cells' font anyway (Helvetica unless told).
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if too_few_from is not None:
        for index, line in enumerate(body, start=1):
            if line[too_few_from] == too_few_text():
                commands.append(("SPAN", (too_few_from, index), (-1, index)))
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _gain_table(first: str, gains: Sequence[Gain], styles: dict[str, ParagraphStyle]) -> Table:
    header = [first, _("n"), _("antes"), _("después"), _("g"), _("intervalo de 95 %")]
    body = []
    for gain in gains:
        if gain.too_few:
            body.append([gain.label, too_few_text(), "", "", "", ""])
        else:
            body.append(
                [
                    gain.label,
                    str(gain.n),
                    number(gain.pre_mean),
                    number(gain.post_mean),
                    number(gain.g, 2),
                    f"{number(gain.g_low, 2)} – {number(gain.g_high, 2)}",
                ]
            )
    widths = [2.1 * inch, 0.5 * inch, 0.8 * inch, 0.8 * inch, 0.6 * inch, 1.5 * inch]
    return _table(header, body, widths, styles, too_few_from=1)


def methodology() -> list[str]:
    """The plain-language "how these figures were calculated" paragraphs."""
    return [
        _(
            "Este informe trata de las personas que se inscribieron en un curso durante el "
            "trimestre. Cuenta a cada educando en la sede del grupo al que pertenece."
        ),
        _(
            "Aprendizaje: al empezar un curso, el educando contesta una prueba corta de "
            "entrada. Al terminarlo, presenta el examen final, con otras preguntas sobre los "
            "mismos temas. Comparamos la primera calificación del examen final con la de la "
            "prueba de entrada, de 0 a 100. Solo cuentan quienes presentaron las dos."
        ),
        _(
            "La ganancia normalizada (g) dice qué parte de lo que faltaba por aprender se "
            "aprendió: 0 es que no hubo avance, 1 es que se aprendió todo lo que faltaba, y "
            "0.5 es la mitad. El intervalo de 95 % muestra cuánto puede variar esa cifra por "
            "el azar: entre menos personas, más ancho es."
        ),
        _(
            "Permanencia: para cada grupo de personas que se inscribieron el mismo mes, "
            "contamos qué parte seguía estudiando cada semana después de inscribirse."
        ),
        _(
            "Tiempo hasta concluir: los días entre la inscripción y la conclusión del curso, "
            "entre quienes lo concluyeron. La mediana es el valor de en medio: la mitad tardó "
            "menos. Los cuartiles marcan a la cuarta parte más rápida y a la más lenta."
        ),
        _(
            "Camino a la certificación: cuántos educandos han cubierto al menos un módulo "
            "del MEVyT, cuántos van a la mitad de la primaria y cuántos cubrieron todos los "
            "módulos y pueden presentar el examen del INEA. Aula no emite certificados "
            "oficiales de la SEP ni del INEA."
        ),
        _(
            "Para proteger a las personas, un grupo con menos de %(min)s educandos aparece "
            "como «muy pocos datos», sin cifras. Todas las cifras de este informe están "
            "también en el anexo CSV."
        )
        % {"min": min_group()},
    ]


def _footer_drawer(figures: ReportFigures):  # type: ignore[no-untyped-def]
    text = f"Aula · {figures.scope_label} · {quarter_name(figures.year, figures.quarter)}"

    def draw(canvas, document) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(document.leftMargin, 0.5 * inch, text)
        canvas.drawRightString(
            document.pagesize[0] - document.rightMargin,
            0.5 * inch,
            _("Página %(page)s") % {"page": document.page},
        )
        canvas.restoreState()

    return draw


def write_pdf(figures: ReportFigures, out: IO[bytes]) -> None:
    """The report as a PDF to ``out``."""
    styles = _styles()
    story: list[Flowable] = []
    title = _("Informe trimestral de evaluación")
    story += [
        Paragraph(_escape(title), styles["title"]),
        Spacer(1, 6),
        Paragraph(_escape(figures.scope_label), styles["subtitle"]),
        Paragraph(
            _escape(
                f"{quarter_name(figures.year, figures.quarter)} ({period_text(figures.period)})"
            ),
            styles["body"],
        ),
        Paragraph(
            _escape(
                _("Preparado el %(date)s.")
                % {"date": written_date(figures.generated_on, _language())}
            ),
            styles["note"],
        ),
    ]

    # Key figures.
    story.append(Paragraph(_escape(_("Cifras clave")), styles["h2"]))
    total, completion, funnel = figures.gains_total, figures.completion, figures.funnel
    key_rows = [
        [
            _("Ganancia normalizada (g) en todos los cursos"),
            too_few_text()
            if total.too_few
            else f"{number(total.g, 2)} ({number(total.g_low, 2)} – {number(total.g_high, 2)}), "
            f"n = {total.n}",
        ],
        [
            _("Mediana de días hasta concluir un curso"),
            too_few_text()
            if completion.too_few
            else f"{number(completion.median_days)}, n = {completion.n}",
        ],
        [
            _("Educandos con todos los módulos cubiertos"),
            too_few_text()
            if funnel.too_few
            else f"{funnel.all_modules} / {funnel.learners} "
            f"({number(percent(funnel.all_modules, funnel.learners))} %)",
        ],
    ]
    story.append(_table([_("Medida"), _("Valor")], key_rows, [3.5 * inch, 2.8 * inch], styles))

    # Learning.
    story.append(Paragraph(_escape(_("Cuánto aprendieron")), styles["h2"]))
    if any(not gain.too_few and gain.g is not None for gain in figures.gains_by_course):
        story.append(
            Paragraph(
                _escape(_("Ganancia normalizada por curso, con su intervalo de 95 %.")),
                styles["note"],
            )
        )
        shown = [g for g in figures.gains_by_course if not g.too_few and g.g is not None]
        for start in range(0, len(shown), GAINS_PER_CHART):
            story.append(gains_chart(shown[start : start + GAINS_PER_CHART]))
    if figures.gains_by_course:
        story.append(Spacer(1, 6))
        everything = replace(figures.gains_total, label=_("Todos los cursos"))
        story.append(_gain_table(_("Curso"), [*figures.gains_by_course, everything], styles))
    else:
        story.append(
            Paragraph(_escape(_("Nadie presentó todavía las dos pruebas.")), styles["body"])
        )
    if figures.gains_by_group:
        story.append(Spacer(1, 8))
        story.append(
            _gain_table(
                _("Sede") if figures.is_program else _("Grupo"), figures.gains_by_group, styles
            )
        )

    # Retention.
    story.append(Paragraph(_escape(_("Permanencia")), styles["h2"]))
    story.append(
        Paragraph(
            _escape(_("Porcentaje de cada grupo de inscripción que sigue activo, por semana.")),
            styles["note"],
        )
    )
    if any(not curve.too_few and curve.points for curve in figures.retention):
        story.append(retention_chart(figures.retention))
    if figures.retention:
        header = [_("Inscritos en"), _("n")] + [
            _("semana %(week)s") % {"week": week} for week in RETENTION_TABLE_WEEKS
        ]
        body = []
        for curve in figures.retention:
            if curve.too_few:
                body.append([curve.label, too_few_text(), "", "", "", ""])
                continue
            shares = dict(curve.points)
            body.append(
                [curve.label, str(curve.n)]
                + [
                    number(shares.get(week)) + (" %" if week in shares else "")
                    for week in RETENTION_TABLE_WEEKS
                ]
            )
        story.append(Spacer(1, 6))
        story.append(
            _table(
                header, body, [1.9 * inch, 0.6 * inch] + [0.95 * inch] * 4, styles, too_few_from=1
            )
        )
    else:
        story.append(Paragraph(_escape(_("Nadie se inscribió en este trimestre.")), styles["body"]))

    # Time to completion.
    story.append(Paragraph(_escape(_("Tiempo hasta concluir un curso")), styles["h2"]))
    if completion.too_few:
        body = [[completion.label, too_few_text(), "", "", ""]]
    else:
        body = [
            [
                completion.label,
                str(completion.n),
                number(completion.median_days),
                number(completion.q1_days),
                number(completion.q3_days),
            ]
        ]
    story.append(
        _table(
            ["", _("n"), _("mediana (días)"), _("primer cuartil"), _("tercer cuartil")],
            body,
            [2.3 * inch, 0.6 * inch, 1.2 * inch, 1.1 * inch, 1.1 * inch],
            styles,
            too_few_from=1,
        )
    )

    # The funnel.
    block: list[Flowable] = [Paragraph(_escape(_("Camino a la certificación")), styles["h2"])]
    if funnel.too_few:
        block.append(Paragraph(_escape(f"{funnel.label}: {too_few_text()}"), styles["body"]))
    else:
        block.append(funnel_chart(funnel))
        block.append(Spacer(1, 6))
        block.append(
            _table(
                ["", _("educandos"), "%"],
                [
                    [name, str(count), number(percent(count, funnel.learners))]
                    for name, count in funnel_steps(funnel)
                ],
                [4.1 * inch, 1.1 * inch, 1.1 * inch],
                styles,
            )
        )
    story.append(KeepTogether(block))

    # Methodology.
    method: list[Flowable] = [
        Paragraph(_escape(_("Cómo se calcularon estas cifras")), styles["h2"])
    ]
    for paragraph in methodology():
        method += [Paragraph(_escape(paragraph), styles["body"]), Spacer(1, 4)]
    story.append(KeepTogether(method))

    document = SimpleDocTemplate(
        out,
        pagesize=letter,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
        title=f"{title} · {figures.scope_label} · {quarter_name(figures.year, figures.quarter)}",
        author="Aula",
        lang=_language(),
        pageCompression=1,
        initialFontName=REGULAR,
    )
    footer = _footer_drawer(figures)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
