"""The readability panel on a lesson's edit view (courses.panels.ReadabilityPanel): the
asesor who writes the lesson and the coordinator who reviews it see how easy its latest
revision is to read."""

import re

import pytest
from wagtail.models import WorkflowState

from content.api import analyze_stream
from content.readability import stream_paragraphs
from courses import api
from courses.models import CoursePage, LessonPage
from tests.factories.pages import add_lesson

EASY = [
    ("heading", {"text": "Ahorre cada semana", "level": "h2"}),
    ("paragraph", "<p>Guarde un poco de dinero. Póngalo en el banco. Así crece.</p>"),
]
HARD = [
    (
        "paragraph",
        "<p>La planificación financiera contemporánea, considerando la volatilidad "
        "macroeconómica internacional, requiere instrumentos de inversión diversificados, "
        "estrategias administrativas extraordinariamente sofisticadas y conocimientos "
        "especializados de contabilidad gubernamental.</p>",
    ),
]


@pytest.fixture
def assigned_asesor(asesor, course):
    api.assign_asesores(course=course, users=[asesor])
    return asesor


@pytest.fixture
def lesson(course):
    return add_lesson(parent=course, slug="leccion-de-lectura", title="Lectura", body=EASY)


def _edit(client, page):
    return client.get(f"/admin/pages/{page.pk}/edit/")


def _figure(html: str) -> float:
    match = re.search(r'data-readability[^>]*data-inflesz="([0-9.-]+)"', html)
    assert match, "the edit view shows no readability figure"
    return float(match.group(1))


def _save_draft(lesson, body, user):
    lesson = LessonPage.objects.get(pk=lesson.pk)
    lesson.body = body
    return lesson.save_revision(user=user)


def test_the_asesor_sees_the_figure_of_an_assigned_lesson(client, assigned_asesor, lesson):
    client.force_login(assigned_asesor)
    response = _edit(client, lesson)
    assert response.status_code == 200
    html = response.content.decode()
    expected = analyze_stream(LessonPage.body.field.stream_block, lesson.body)
    assert _figure(html) == pytest.approx(expected.inflesz, abs=0.05)
    assert "Facilidad de lectura" in html and "Escala INFLESZ" in html
    assert 'data-band="bastante-facil"' in html and 'data-meets-target="true"' in html
    assert "El texto cumple la meta." in html
    # At the top of the content tab, where the asesor sees it before the text.
    assert html.index("data-readability") < html.index('name="title"')


def test_a_shipped_lesson_shows_its_longest_sentences_and_rare_words(
    client, assigned_asesor, course
):
    shipped = LessonPage.objects.descendant_of(course).get(slug="que-es-una-fraccion")
    client.force_login(assigned_asesor)
    html = _edit(client, shipped).content.decode()
    expected = analyze_stream(LessonPage.body.field.stream_block, shipped.body)
    assert _figure(html) == pytest.approx(expected.inflesz, abs=0.05)
    longest = html.split("data-longest-sentences", 1)[1].split("</ol>", 1)[0]
    assert expected.longest_sentences[0].text.split("(")[0][:40] in longest.replace("&quot;", '"')
    rare = html.split("data-rare-words", 1)[1].split("</p>", 1)[0]
    assert "numerador" in rare and "pizza" not in rare


def test_a_harder_draft_gives_a_lower_figure(client, assigned_asesor, lesson):
    client.force_login(assigned_asesor)
    easy = _figure(_edit(client, lesson).content.decode())
    _save_draft(lesson, HARD, assigned_asesor)
    html = _edit(client, lesson).content.decode()
    hard = _figure(html)
    assert hard < easy
    assert 'data-meets-target="false"' in html and "todavía no cumple la meta" in html
    rare = html.split("data-rare-words", 1)[1].split("</p>", 1)[0]
    assert "macroeconómica" in rare and "financiera" not in rare
    lesson.refresh_from_db()
    assert lesson.body.raw_data[0]["type"] == "heading"  # the live page is unchanged


def test_the_reviewer_sees_the_figure_of_the_submitted_draft(
    client, assigned_asesor, coordinador, lesson
):
    """The asesor submits a change to the "Revisión pedagógica" workflow; the coordinator
    who reviews it opens the edit view and sees the figure of what was submitted."""
    client.force_login(coordinador)
    live = _figure(_edit(client, lesson).content.decode())
    revision = _save_draft(lesson, HARD, assigned_asesor)
    page = LessonPage.objects.get(pk=lesson.pk)
    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Revisión pedagógica"
    workflow.start(page, assigned_asesor)
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.revision_id == revision.pk
    task = state.current_task_state.task.specific
    assert task.user_can_access_editor(page, coordinador)

    html = _edit(client, lesson).content.decode()
    submitted = analyze_stream(LessonPage.body.field.stream_block, revision.as_object().body)
    assert _figure(html) == pytest.approx(submitted.inflesz, abs=0.05)
    assert _figure(html) < live


def test_an_empty_lesson_asks_for_text(client, assigned_asesor, course):
    empty = add_lesson(
        parent=course,
        slug="solo-un-documento",
        body=[("heading", {"text": "3/8", "level": "h2"})],
    )
    client.force_login(assigned_asesor)
    html = _edit(client, empty).content.decode()
    assert "data-readability" in html and "data-inflesz" not in html
    assert "Todavía no hay texto que medir" in html


def test_only_lessons_have_the_panel(client, coordinador, course):
    client.force_login(coordinador)
    assert "data-readability" not in _edit(client, course).content.decode()
    assessment = course.final_assessment
    assert "data-readability" not in _edit(client, assessment).content.decode()


class TestWhoSeesIt:
    def test_an_asesor_of_another_course_cannot_open_the_lesson(
        self, client, asesor, course, lesson
    ):
        other = CoursePage.objects.exclude(pk=course.pk).first()
        api.assign_asesores(course=other, users=[asesor])
        client.force_login(asesor)
        response = _edit(client, lesson)
        assert response.status_code in (302, 403)
        assert b"data-readability" not in response.content

    def test_an_educando_is_sent_away(self, client, educando, lesson):
        client.force_login(educando)
        response = _edit(client, lesson)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    def test_anonymous_is_sent_to_login(self, client, lesson):
        response = _edit(client, lesson)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_reading_a_stored_lesson_makes_no_query(django_assert_num_queries, course):
    """The panel reads the StreamField's stored data: images and documents are not
    fetched, so a long lesson costs no query per block."""
    shipped = LessonPage.objects.descendant_of(course).filter(slug="que-es-una-fraccion")
    page = shipped.get()
    with django_assert_num_queries(0):
        result = analyze_stream(LessonPage.body.field.stream_block, page.body)
    assert result.words > 100


def test_every_block_of_a_saved_lesson_is_read(course):
    """The text of every kind of lesson block, saved and read back from the database."""
    body = [
        ("paragraph", "<p>Marcauno párrafo.</p>"),
        ("heading", {"text": "Marcados título", "level": "h2"}),
        ("callout", {"kind": "tip", "title": "Marcatres", "body": "<p>Marcacuatro.</p>"}),
        ("glossary_term", {"term": "Marcacinco", "definition": "Marcaseis."}),
        (
            "worked_example",
            {
                "title": "Marcasiete",
                "problem": "<p>Marcaocho.</p>",
                "steps": ["Marcanueve."],
                "answer": "<p>Marcadiez.</p>",
            },
        ),
        ("image", {"image": None, "alt": "Nolectura", "caption": "Marcaonce"}),
    ]
    saved = add_lesson(parent=course, slug="todos-los-bloques", body=body)
    page = LessonPage.objects.get(pk=saved.pk)
    text = " ".join(stream_paragraphs(LessonPage.body.field.stream_block, page.body))
    for marker in ("uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"):
        assert f"Marca{marker}" in text
    assert "Marcadiez" in text and "Marcaonce" in text
    assert "Nolectura" not in text
