"""Learner pages in a real browser (headless Chromium) on a 360 px wide phone screen.

No live server: Chromium's requests to http://testserver/ are answered by Django's test
client inside the test's transaction; any request elsewhere is a third-party request,
recorded and refused (the ``browser`` and ``phone`` fixtures: tests/browser.py).
"""

import pytest

from courses.models import CoursePage, LessonPage, Module
from tests.browser import open_phone, requires_chromium

pytestmark = requires_chromium


def _pages():
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    lesson = LessonPage.objects.get(slug="que-es-una-fraccion")
    budget = LessonPage.objects.get(slug="presupuesto-mensual")
    return [
        "/",
        "/cursos/",
        "/cursos/?q=dinero",
        course.url,
        lesson.url,
        budget.url,
        course.final_assessment.url,
    ]


def test_learner_pages_fit_a_360px_phone(db, phone, client, educando):
    from lms.enrollment import api as enrollment_api

    for course in CoursePage.objects.live():
        enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    for path in [*_pages(), "/mis-cursos/", "/mis-cursos/grupo/"]:
        phone.goto(f"http://testserver{path}")
        layout = phone.evaluate("""() => ({
            width: document.documentElement.scrollWidth,
            h1: document.querySelectorAll('h1').length,
            imagesWithoutAlt: [...document.images].filter(i => !i.hasAttribute('alt')).length,
            unlabelledInputs: [...document.querySelectorAll('input:not([type=hidden]), select')]
                .filter(el => !el.labels || el.labels.length === 0).length,
            smallTargets: [...document.querySelectorAll('main button, main .option')]
                .filter(el => el.checkVisibility())
                .filter(el => el.getBoundingClientRect().height < 44).length,
        })""")
        assert layout == {
            "width": 360,
            "h1": 1,
            "imagesWithoutAlt": 0,
            "unlabelledInputs": 0,
            "smallTargets": 0,
        }, path
        assert phone.csp_violations() == [], path
    assert phone.external == []


def test_study_time_is_sent_by_the_page_script(db, phone, client, educando):
    """progress.js queues a "started" event and sends it through the API."""
    from lms.enrollment import api as enrollment_api
    from lms.progress.models import LearningEvent

    lesson = LessonPage.objects.get(slug="que-es-una-fraccion")
    enrollment_api.enroll(
        user=educando, course=CoursePage.objects.get(slug="fracciones-y-porcentajes")
    )
    client.force_login(educando)
    phone.goto(f"http://testserver{lesson.url}")
    # Sent: the learner's queue (its key names the learner) is gone from the phone.
    phone.wait_for_function(f"() => localStorage.getItem('aula-eventos:u{educando.pk}') === null")
    assert phone.csp_violations() == []
    event = LearningEvent.objects.get(user=educando)
    assert (event.verb, event.object_id, event.source) == ("started", lesson.pk, "api")


@pytest.fixture
def phone_without_javascript(browser, client):
    yield from open_phone(browser, client, java_script_enabled=False)


def test_language_toggle_works_without_javascript(db, phone_without_javascript):
    phone = phone_without_javascript
    phone.goto("http://testserver/cursos/")
    assert phone.locator("html").get_attribute("lang") == "es-MX"
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("link", name="Skip to content").count() == 1


def test_coordinator_pages_fit_a_360px_phone(db, phone, client, sedes, make_learner):
    """Coordinators also work from phones: every page of /coordinacion/ fits, labels its
    inputs and makes no request to another site."""
    sede, coordinator, grupo = sedes["norte"]
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    learner = make_learner("ana", grupo, course, lessons_done=2, display_name="Ana Ruiz")
    client.force_login(coordinator)
    paths = [
        "/coordinacion/",
        f"/coordinacion/sede/{sede.key}/",
        f"/coordinacion/grupo/{grupo.pk}/",
        f"/coordinacion/curso/{course.pk}/",
        "/coordinacion/en-riesgo/",
        f"/coordinacion/educando/{learner.pk}/",
        "/coordinacion/inscripcion/",
        "/coordinacion/exportar/",
        "/coordinacion/exportar/archivos/",
    ]
    for path in paths:
        phone.goto(f"http://testserver{path}")
        layout = phone.evaluate("""() => ({
            width: document.documentElement.scrollWidth,
            h1: document.querySelectorAll('h1').length,
            unlabelledInputs: [...document.querySelectorAll('input:not([type=hidden]), select')]
                .filter(el => !el.labels || el.labels.length === 0).length,
            charts: document.querySelectorAll('figure svg[role=img]').length,
            chartTables: document.querySelectorAll('figure details table').length,
        })""")
        assert layout["width"] == 360, path
        assert layout["h1"] == 1, path
        assert layout["unlabelledInputs"] == 0, path
        assert layout["charts"] == layout["chartTables"], path  # every chart has its table
        assert phone.csp_violations() == [], path
    assert phone.external == []


def test_admin_pages_work_under_the_admin_policy(db, phone, client, coordinador):
    """The Wagtail admin's own policy allows no inline script: the editors Aula uses (a
    course page with date fields, a module with its outcomes inline, the image and
    document libraries, the reports) render and run without one violation or script
    error."""

    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    module = Module.objects.order_by("pk").first()
    client.force_login(coordinador)
    paths = [
        "/admin/",
        f"/admin/pages/{course.pk}/edit/",
        f"/admin/pages/{course.get_parent().pk}/",
        f"/admin/snippets/courses/module/edit/{module.pk}/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/reports/site-history/",
    ]
    for path in paths:
        phone.goto(f"http://testserver{path}")
        phone.wait_for_load_state("load")
        assert phone.title(), path
        assert phone.csp_violations() == [], path
    # The choosers open their modal (its HTML arrives by XHR) under the same policy.
    phone.goto(f"http://testserver/admin/pages/{course.pk}/edit/")
    for chooser in ("#id_cover_image-chooser", "#id_final_assessment-chooser"):
        phone.locator(f"{chooser} [data-chooser-action-choose]").first.dispatch_event("click")
        phone.locator(".modal-content").first.wait_for(state="visible")
        phone.wait_for_load_state("networkidle")
        phone.keyboard.press("Escape")
    assert phone.csp_violations() == []
    assert errors == []
    assert phone.external == []


def test_a_newcomers_phone_shows_a_short_header_and_the_first_course(db, phone, client, educando):
    """On a 360 × 640 screen: the signed-in header is one line plus the language switch,
    and the catalog's filters fold behind one button so the first course shows."""
    phone.set_viewport_size({"width": 360, "height": 640})
    client.force_login(educando)
    phone.goto("http://testserver/cursos/")
    brand = phone.locator(".site-header .brand").bounding_box()
    links = [
        box
        for box in phone.locator(".main-nav a").evaluate_all(
            "links => links.map(a => a.getBoundingClientRect().top)"
        )
    ]
    assert len(links) == 3
    assert all(abs(top - links[0]) < 2 for top in links)  # the nav on one line…
    assert links[0] < brand["y"] + brand["height"]  # …the brand's line
    first = phone.locator(".cards .card h2").first.bounding_box()
    assert first["y"] + first["height"] <= 640
    assert not phone.locator("#nivel").is_visible()
    phone.get_by_text("Filtrar por nivel, eje o módulo").click()
    assert phone.locator("#nivel").is_visible()
    phone.locator("#nivel").select_option("avanzado")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Filtrar").click()
    assert phone.locator("#nivel").is_visible()  # a filter in use stays open
    assert phone.csp_violations() == []
