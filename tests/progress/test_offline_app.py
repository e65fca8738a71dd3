"""The installable web app and what a phone saves of a course (lms/progress/offline.py):
the manifest, the service worker, the offline page, the course package and who may have
it, and «Empezar» / «Continuar» on the course page. The browser side is in
tests/test_offline_study_browser.py."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import AssessmentPage, CoursePage, LessonPage
from lms.enrollment import api as enrollment_api
from lms.progress.models import LearningEvent


def _package(client, course):
    return client.get(f"/mis-cursos/sin-conexion/{course.pk}.json")


class TestInstallable:
    def test_the_manifest_names_the_app_in_spanish_and_starts_at_mis_cursos(self, db, client):
        response = client.get("/manifest.webmanifest")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.content)
        assert manifest["name"] == "Aula"
        assert manifest["lang"] == "es-MX"
        assert manifest["description"].startswith("Cursos en español")
        assert manifest["start_url"] == "/mis-cursos/"
        assert manifest["display"] == "standalone"
        sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
        assert {"192x192", "512x512"} <= sizes
        assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])

    def test_the_manifest_in_english(self, db, client):
        client.post("/idioma/", {"language": "en", "next": "/"})
        manifest = json.loads(client.get("/manifest.webmanifest").content)
        assert manifest["lang"] == "en"
        assert manifest["description"].startswith("Courses in Spanish")

    def test_the_service_worker_is_served_from_the_root_never_stale(self, db, client):
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert response["Cache-Control"] == "no-cache"
        assert response["Service-Worker-Allowed"] == "/"
        text = response.content.decode()
        assert 'var OFFLINE_URL = "/sin-conexion/";' in text
        assert "/static/css/aula.css" in text
        assert "__RELEASE__" not in text and 'var RELEASE = "' in text
        assert client.head("/sw.js").status_code == 200
        assert client.post("/sw.js").status_code == 405

    def test_pages_link_the_manifest_and_only_learners_get_the_script(self, db, client, educando):
        html = client.get("/cursos/").content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert "<script" not in html  # signed out: no script at all
        client.force_login(educando)
        html = client.get("/cursos/").content.decode()
        assert '<meta name="aula-sw" content="/sw.js">' in html
        assert f'<meta name="aula-learner" content="u{educando.pk}">' in html
        assert "/static/js/offline.js" in html

    def test_every_page_tells_the_worker_who_is_signed_in(self, db, client, educando):
        assert client.get("/cursos/")["X-Aula-Learner"] == ""
        client.force_login(educando)
        assert client.get("/cursos/")["X-Aula-Learner"] == f"u{educando.pk}"
        assert client.get("/mis-cursos/")["X-Aula-Learner"] == f"u{educando.pk}"
        assert "X-Aula-Learner" not in client.get("/manifest.webmanifest")
        client.logout()
        assert client.get("/cuenta/entrar/")["X-Aula-Learner"] == ""

    def test_the_offline_page_is_the_same_for_everybody(self, client, enrolled):
        anonymous = client.get("/sin-conexion/").content.decode()
        client.force_login(enrolled)
        response = client.get("/sin-conexion/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1>Sin conexión</h1>" in html
        assert "Guardado en este teléfono" in html
        assert enrolled.username not in html
        assert "csrfmiddlewaretoken" not in html
        assert html == anonymous


class TestCoursePackage:
    def test_an_enrolled_learner_gets_the_lessons_and_practice_but_not_the_final(
        self, client, enrolled, course
    ):
        client.force_login(enrolled)
        response = _package(client, course)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        package = response.json()
        assert package["course"] == course.pk and package["title"] == course.title
        kinds = [page["kind"] for page in package["pages"]]
        assert kinds[0] == "course"
        lessons = LessonPage.objects.live().descendant_of(course).order_by("path")
        practice = AssessmentPage.objects.live().descendant_of(course).filter(kind="practice")
        by_url = {page["url"]: page for page in package["pages"]}
        for page in [*lessons, *practice]:
            assert by_url[page.url]["revision"] == page.live_revision_id
        assert course.final_assessment.url not in by_url
        assert len(package["pages"]) == 1 + lessons.count() + practice.count()
        # In study order, as the outline.
        lesson_urls = [p["url"] for p in package["pages"] if p["kind"] == "lesson"]
        assert lesson_urls == [lesson.url for lesson in lessons]
        # The size counts the pictures: more than the layout of every page.
        assert package["bytes"] > 9_000 * len(package["pages"])

    def test_a_republished_lesson_has_a_new_revision(self, client, enrolled, course):
        client.force_login(enrolled)
        lesson = LessonPage.objects.live().descendant_of(course).first()
        before = {p["url"]: p["revision"] for p in _package(client, course).json()["pages"]}
        lesson.save_revision().publish()
        lesson.refresh_from_db()
        after = {p["url"]: p["revision"] for p in _package(client, course).json()["pages"]}
        assert after[lesson.url] == lesson.live_revision_id != before[lesson.url]

    def test_notes_for_reviewers_never_go_to_the_phone(self, client, enrolled, course):
        lesson = LessonPage.objects.live().descendant_of(course).first()
        lesson.review_notes = "Nota interna https://example.org/solo-revisores"
        lesson.save_revision().publish()
        client.force_login(enrolled)
        assert b"solo-revisores" not in _package(client, course).content

    def test_not_signed_in_goes_to_log_in(self, client, course):
        response = _package(client, course)
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]

    def test_a_learner_not_enrolled_gets_404(self, client, educando, course):
        client.force_login(educando)
        response = _package(client, course)
        assert response.status_code == 404

    def test_a_withdrawn_learner_gets_404(self, client, enrolled, course):
        enrollment_api.withdraw(user=enrolled, course=course)
        client.force_login(enrolled)
        assert _package(client, course).status_code == 404

    def test_staff_of_another_role_is_not_served_a_package(self, client, coordinador, course):
        client.force_login(coordinador)
        assert _package(client, course).status_code == 404

    def test_an_unknown_course_is_404(self, client, enrolled):
        client.force_login(enrolled)
        assert client.get("/mis-cursos/sin-conexion/999999.json").status_code == 404

    def test_queries_do_not_grow_with_lessons_or_pictures(self, client, enrolled, course):
        small = CoursePage.objects.get(slug="nuestros-documentos")
        enrollment_api.enroll(user=enrolled, course=small)
        client.force_login(enrolled)

        def queries(target):
            _package(client, target)  # warm: the session and the site's root paths
            with CaptureQueriesContext(connection) as ctx:
                assert _package(client, target).status_code == 200
            return len(ctx.captured_queries)

        assert queries(course) == queries(small) <= 8


class TestStartButton:
    def test_after_enrolling_the_course_page_says_empezar_to_the_first_lesson(
        self, client, enrolled, course
    ):
        client.force_login(enrolled)
        html = client.get(course.url).content.decode()
        first = LessonPage.objects.live().descendant_of(course).order_by("path").first()
        assert f'<a class="button start" href="{first.url}">Empezar: {first.title}</a>' in html
        assert "Guardar para estudiar sin conexión" in html

    def test_then_continuar_where_the_learner_is(self, client, course, make_learner):
        learner = make_learner("lucia", None, course, lessons_done=1)
        client.force_login(learner)
        html = client.get(course.url).content.decode()
        second = LessonPage.objects.live().descendant_of(course).order_by("path")[1]
        assert f'<a class="button start" href="{second.url}">Continuar: {second.title}</a>' in html

    def test_nobody_else_sees_it(self, client, educando, course):
        assert "button start" not in client.get(course.url).content.decode()
        client.force_login(educando)
        html = client.get(course.url).content.decode()
        assert "button start" not in html
        assert "data-offline-save" not in html

    def test_the_enrollment_message_does_not_assume_a_gender(self, client, educando, course):
        client.force_login(educando)
        response = client.post(f"/mis-cursos/inscribir/{course.pk}/", follow=True)
        html = response.content.decode()
        assert "Le damos la bienvenida" in html
        assert "Bienvenido" not in html and "inscrito" not in html
        assert not LearningEvent.objects.filter(user=educando).exists()


class TestReadableAddresses:
    def test_a_new_page_titled_with_accents_gets_an_address_without_them(self, db, course):
        lesson = LessonPage(title="¿Qué es una fracción? Señales y números", body=[])
        course.add_child(instance=lesson)
        assert lesson.slug == "que-es-una-fraccion-senales-y-numeros"
        assert lesson.url.isascii()

    def test_the_editor_makes_the_slug_without_accents(self, client, db, coordinador, course):
        client.force_login(coordinador)
        html = client.get(f"/admin/pages/add/courses/lessonpage/{course.pk}/").content.decode()
        # The slug widget is there, without the attribute that lets it keep accents
        # (Django leaves out an attribute whose value is False; Wagtail's default is off).
        assert 'data-controller="w-slug"' in html
        assert "data-w-slug-allow-unicode-value" not in html


class TestPhoneKeys:
    def test_every_question_type_gives_a_key_that_grades_its_right_answer(self, db):
        from content.api import QuestionStreamBlock, normalize_text

        seen = set()
        for quiz in AssessmentPage.objects.live().filter(kind="practice"):
            for block in quiz.questions:
                key = block.block.phone_key(block.value)
                right = block.block.example_answer(block.value)
                seen.add((block.block_type, key["match"]))
                if key["match"] == "set":
                    assert sorted(key["right"]) == sorted(right)
                elif key["match"] == "number":
                    assert float(key["answer"]) == float(right[0])
                else:
                    assert normalize_text(right[0]) in key["accepted"]
        # Every question type of the library, each with its own way of matching.
        assert seen == {
            ("single_choice", "set"),
            ("multiple_choice", "set"),
            ("true_false", "set"),
            ("numeric", "number"),
            ("short_answer", "text"),
        }
        assert {kind for kind, _match in seen} == set(QuestionStreamBlock.base_blocks)

    def test_the_practice_page_carries_keys_and_the_final_none(self, client, enrolled, course):
        practice = AssessmentPage.objects.live().descendant_of(course).filter(kind="practice")
        client.force_login(enrolled)
        html = client.get(practice.first().url).content.decode()
        assert html.count("data-key=") == len(practice.first().specific.questions)


class TestMarkAsDone:
    def test_the_next_page_confirms_and_is_the_next_step(self, client, enrolled, course):
        lessons = list(LessonPage.objects.live().descendant_of(course).order_by("path"))
        client.force_login(enrolled)
        response = client.post(
            f"/mis-cursos/leccion/{lessons[0].pk}/terminar/",
            {"next": lessons[1].url},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == lessons[1].url
        html = response.content.decode()
        assert f"Terminó la lección «{lessons[0].title}». Aquí sigue su próximo paso." in html
        assert f"<h1>{lessons[1].title}</h1>" in html


class TestRecordingsInTheSize:
    def test_light_versions_count_not_the_originals(self, db):
        from django.core.files.base import ContentFile
        from wagtail.documents import get_document_model

        from content.api import offline_bytes
        from content.models import MediaVersion

        Document = get_document_model()

        def document(name: str, size: int):
            return Document.objects.create(
                title=name, file=ContentFile(b"x" * size, name=name), file_size=size
            )

        video, audio, captions = (
            document("clase.mp4", 5000),
            document("a.mp3", 3000),
            document("c.vtt", 40),
        )
        plain_video = document("otra.mp4", 7000)
        for doc, kind, size in (
            (video, MediaVersion.Kind.LIGHT_VIDEO, 900),
            (video, MediaVersion.Kind.POSTER, 100),
            (audio, MediaVersion.Kind.COMPRESSED_AUDIO, 300),
        ):
            MediaVersion.objects.create(
                document=doc,
                source="x",
                kind=kind,
                file=f"media-versions/{kind}",
                size=size,
                content_type="application/octet-stream",
            )
        sizes = offline_bytes(
            videos={video.pk, plain_video.pk}, audios={audio.pk}, files={captions.pk}
        )
        assert sizes == {
            ("video", video.pk): 1000,
            ("video", plain_video.pk): 7000,
            ("audio", audio.pk): 300,
            ("file", captions.pk): 40,
        }
        assert offline_bytes(videos=set(), audios=set(), files=set()) == {}
