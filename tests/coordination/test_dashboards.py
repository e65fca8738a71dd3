"""The coordinator's pages: sede, grupo and course dashboards, drop-off, at-risk list and
the learner's file with its actions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import api as courses_api
from courses.models import AssessmentPage, CoursePage
from lms.accounts import api as accounts_api
from lms.accounts import roles
from lms.accounts.models import ResetCode
from lms.assessments import api as assessments_api
from lms.certificates.models import Certificate
from lms.coordination import activity, at_risk, figures
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo
from lms.progress import api as progress_api
from lms.progress.models import CourseProgress, DailyActivity
from tests import helpers
from tests.helpers import complete, complete_required_lessons


def _steps(course):
    return courses_api.course_steps(course_ids=[course.pk])[course.pk]


def _lessons(course):
    return [s for s in _steps(course).steps if s.kind == "lesson" and s.required]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _age(user, course, days):
    """Make a learner's enrollment and activity in ``course`` ``days`` days old."""
    past = timezone.now() - timedelta(days=days)
    Enrollment.objects.filter(user=user, course_id=course.pk).update(enrolled_at=past)
    CourseProgress.objects.filter(user=user, course_id=course.pk).update(last_activity_at=past)


class TestSede:
    def test_grupos_and_courses(self, client, sedes, make_learner, course):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        make_learner("a", grupo, course, lessons_done=5)
        make_learner("b", second, course, lessons_done=1)
        make_learner("c", sedes["sur"][2], course)
        client.force_login(coordinator)
        response = client.get(f"/coordinacion/sede/{sede.key}/")
        assert response.status_code == 200
        by_grupo = {row.label: row for row in response.context["grupos"]}
        assert (by_grupo["Grupo 1"].enrolled, by_grupo["Grupo 1"].halfway) == (1, 1)
        assert (by_grupo["Grupo 2"].enrolled, by_grupo["Grupo 2"].halfway) == (1, 0)
        (by_course,) = response.context["courses"]
        assert (by_course.label, by_course.enrolled, by_course.started) == (course.title, 2, 2)
        assert response.context["total"].enrolled == 2  # "c" is in the other sede
        html = response.content.decode()
        assert "<svg" in html and "Ver los datos en una tabla" in html

    def test_another_sede_is_not_found(self, client, sedes):
        client.force_login(sedes["norte"][1])
        assert client.get("/coordinacion/sede/sur/").status_code == 404
        assert client.get("/coordinacion/sede/no-existe/").status_code == 404

    def test_queries_do_not_grow(self, client, sedes, make_learner, course, catalog):
        sede, coordinator, grupo = sedes["norte"]
        client.force_login(coordinator)
        make_learner("uno", grupo, course, lessons_done=1)
        url = f"/coordinacion/sede/{sede.key}/"
        client.get(url)
        before = _queries(client, url)
        other = courses_api.CoursePage.objects.exclude(pk=course.pk).first()
        for index in range(4):
            grupo_n = Grupo.objects.create(sede=sede, name=f"G{index}")
            make_learner(f"mas-{index}", grupo_n, other, lessons_done=index)
        assert _queries(client, url) == before


class TestGrupo:
    def test_learners_listed_with_progress(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        make_learner("ana", grupo, course, lessons_done=5, display_name="Ana Ruiz")
        make_learner("beto", grupo, course)
        client.force_login(coordinator)
        response = client.get(f"/coordinacion/grupo/{grupo.pk}/")
        assert response.status_code == 200
        learners = {u.username: u for u in response.context["learners"]}
        assert set(learners) == {"ana", "beto"}
        assert learners["ana"].courses == 1 and learners["ana"].last is not None
        assert learners["beto"].last is None
        assert "Ana Ruiz" in response.content.decode()

    def test_another_sedes_grupo_is_not_found(self, client, sedes):
        client.force_login(sedes["norte"][1])
        assert client.get(f"/coordinacion/grupo/{sedes['sur'][2].pk}/").status_code == 404

    def test_queries_do_not_grow(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        client.force_login(coordinator)
        make_learner("uno", grupo, course, lessons_done=1)
        url = f"/coordinacion/grupo/{grupo.pk}/"
        client.get(url)
        before = _queries(client, url)
        for index in range(5):
            make_learner(f"mas-{index}", grupo, course, lessons_done=index)
        assert _queries(client, url) == before


class TestCourseDropOff:
    def test_where_learners_stop(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        make_learner("cero", grupo, course)
        make_learner("uno", grupo, course, lessons_done=1)
        make_learner("dos", grupo, course, lessons_done=2)
        make_learner("otra-dos", grupo, course, lessons_done=2)
        make_learner("de-sur", sedes["sur"][2], course, lessons_done=3)
        client.force_login(coordinator)
        response = client.get(f"/coordinacion/curso/{course.pk}/")
        assert response.status_code == 200
        drop = response.context["drop_off"]
        assert drop.enrolled == 4
        lessons = _lessons(course)
        by_page = {step.page_id: step for step in drop.steps}
        first, second, third = (by_page[s.page_id] for s in lessons[:3])
        assert (first.completed, second.completed, third.completed) == (3, 2, 0)
        assert (first.stopped_here, second.stopped_here) == (1, 2)
        assert first.completion_percent == 75
        assert [s.page_id for s in drop.steps] == [s.page_id for s in _steps(course).steps]

    def test_filter_by_grupo_and_forged_grupo(self, client, sedes, make_learner, course):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        make_learner("a", grupo, course, lessons_done=1)
        make_learner("b", second, course, lessons_done=1)
        make_learner("de-sur", sedes["sur"][2], course, lessons_done=1)
        client.force_login(coordinator)
        url = f"/coordinacion/curso/{course.pk}/"
        assert client.get(url, {"grupo": second.pk}).context["total"].enrolled == 1
        forged = client.get(url, {"grupo": sedes["sur"][2].pk})
        assert forged.status_code == 200
        assert forged.context["form"].errors["grupo"]
        assert forged.context["total"].enrolled == 2  # falls back to their own scope

    def test_unknown_course_is_not_found(self, client, sedes):
        client.force_login(sedes["norte"][1])
        assert client.get("/coordinacion/curso/999999/").status_code == 404

    def test_queries_do_not_grow(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        client.force_login(coordinator)
        make_learner("uno", grupo, course, lessons_done=1)
        url = f"/coordinacion/curso/{course.pk}/"
        client.get(url)
        before = _queries(client, url)
        for index in range(5):
            make_learner(f"mas-{index}", grupo, course, lessons_done=index)
        assert _queries(client, url) == before


class TestWeeklyActivity:
    def test_counts_learners_per_week(self, sedes, make_learner, course):
        sede, _coordinator, grupo = sedes["norte"]
        ana = make_learner("ana", grupo, course)
        beto = make_learner("beto", grupo, course)
        lesson = _lessons(course)[0].page_id
        now = timezone.now()
        for user, days_ago in ((ana, 0), (ana, 1), (beto, 8), (ana, 8)):
            progress_api.record_server_event(
                user=user, verb="started", page_id=lesson, when=now - timedelta(days=days_ago)
            )
        weeks = activity.weekly_activity(sedes=[sede], now=now)
        assert len(weeks) == 12
        by_start = {w.start: w.learners for w in weeks}
        today = timezone.localdate(now, timezone.get_default_timezone())

        def week_of(day):
            return day - timedelta(days=day.weekday())

        assert by_start[week_of(today)] >= 1
        assert by_start[week_of(today - timedelta(days=8))] == 2
        assert sum(by_start.values()) == by_start[week_of(today)] + 2 + (
            by_start[week_of(today - timedelta(days=1))]
            if week_of(today - timedelta(days=1)) != week_of(today)
            else 0
        )

    def test_rebuilding_gives_the_same_days(self, sedes, make_learner, course):
        _sede, _coordinator, grupo = sedes["norte"]
        ana = make_learner("ana", grupo, course, lessons_done=2)
        before = set(DailyActivity.objects.filter(user=ana).values_list("course_id", "day"))
        assert before
        progress_api.rebuild_progress(user_id=ana.pk)
        after = set(DailyActivity.objects.filter(user=ana).values_list("course_id", "day"))
        assert after == before


def at_risk_world(sedes, make_learner, course):
    """Learners of the norte sede in every situation the at-risk list tells apart, and
    one of the sur sede."""
    _sede, coordinator, grupo = sedes["norte"]
    quiet = make_learner("callada", grupo, course, lessons_done=1, phone="+1 213 555 0101")
    _age(quiet, course, 20)
    never = make_learner("nunca", grupo, course, email="nunca@example.org")
    _age(never, course, 30)
    recent = make_learner("reciente", grupo, course, lessons_done=1)
    new = make_learner("nueva", grupo, course)  # enrolled today, not started: not at risk
    failing = make_learner("reprueba", grupo, course, lessons_done=1)
    complete_required_lessons(failing, course)  # the final opens after the lessons
    final = AssessmentPage.objects.get(pk=course.final_assessment_id)
    for _ in range(2):
        assessments_api.submit_attempt(user=failing, assessment=final, answers={})
    outside = make_learner("de-sur", sedes["sur"][2], course)
    _age(outside, course, 40)
    return {
        "coordinator": coordinator,
        "quiet": quiet,
        "never": never,
        "recent": recent,
        "new": new,
        "failing": failing,
        "outside": outside,
    }


class TestAtRisk(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = at_risk_world(helpers.make_sedes(), helpers.make_learner, helpers.the_course())

    def test_who_is_at_risk_and_why(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        response = client.get("/coordinacion/en-riesgo/")
        assert response.status_code == 200
        rows = {row.user.username: row for row in response.context["rows"]}
        assert set(rows) == {"callada", "nunca", "reprueba"}
        assert rows["callada"].inactive and not rows["callada"].failing
        assert rows["reprueba"].failing and not rows["reprueba"].inactive
        assert response.context["rows"][0].user.username == "nunca"
        html = response.content.decode()
        assert "+1 213 555 0101" in html and "nunca@example.org" in html
        assert "No ha empezado" in html
        assert (
            rows["callada"].last_title
            == _lessons(courses_api.CoursePage.objects.get(pk=rows["callada"].course_id))[0].title
        )

    def test_days_are_configurable(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        rows = client.get("/coordinacion/en-riesgo/", {"dias": 25}).context["rows"]
        assert {r.user.username for r in rows} == {"nunca", "reprueba"}
        with self.settings(AULA_AT_RISK_DAYS=25):
            rows = client.get("/coordinacion/en-riesgo/").context["rows"]
            assert {r.user.username for r in rows} == {"nunca", "reprueba"}
            bad = client.get("/coordinacion/en-riesgo/", {"dias": "0"})
            assert bad.context["form"].errors["dias"]

    def test_counts_on_the_home_page(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        assert client.get("/coordinacion/").context["at_risk"] == 3


class TestAtRiskAfterChanges:
    """Tests that change the learners first: they are built for each of them alone."""

    @pytest.fixture
    def world(self, sedes, make_learner, course):
        return at_risk_world(sedes, make_learner, course)

    def test_repeated_failures_stop_counting_once_passed(self, world, sedes, course):
        final = AssessmentPage.objects.get(pk=course.final_assessment_id)
        assessments_api.Attempt.objects.create(
            user=world["failing"],
            assessment_id=final.pk,
            course_id=course.pk,
            revision_id=final.live_revision_id,
            number=3,
            submitted_at=timezone.now(),
            score=90,
            passed=True,
        )
        names = {e.user.username for e in at_risk.at_risk(sedes=[sedes["norte"][0]])}
        assert "reprueba" not in names

    def test_counts_agree_with_the_list(self, world, sedes, make_learner, course):
        norte, sur = sedes["norte"][0], sedes["sur"][0]
        gone = make_learner("desactivada", sedes["norte"][2], course)
        _age(gone, course, 50)
        gone.is_active = False
        gone.save()
        listed = {e.user_id for e in at_risk.at_risk(sedes=[norte])}
        assert gone.pk not in listed
        assert figures.at_risk_learner_count(sedes=[norte]) == len(listed) == 3
        assert figures.at_risk_count_by_sede(sedes=[norte, sur]) == {norte.pk: 3, sur.pk: 1}

    def test_pages_are_the_list_cut_in_order(self, world, sedes):
        norte = [sedes["norte"][0]]
        listed = [(e.pk, e.inactive, e.failing) for e in at_risk.at_risk_rows(sedes=norte)]
        assert len(listed) == 3

        def page(number):
            found = at_risk.at_risk_page(sedes=norte, number=number, per_page=2)
            return found, [(e.pk, e.inactive, e.failing) for e in found]

        first, rows = page(None)
        assert (first.number, first.paginator.count, first.paginator.num_pages) == (1, 3, 2)
        assert rows == listed[:2]
        assert page("2")[1] == listed[2:]
        assert page("nada")[1] == listed[:2]  # invalid: the first page
        last, rows = page(9)  # past the end: the last page
        assert (last.number, rows) == (2, listed[2:])
        failing = at_risk.at_risk_page(sedes=norte, days=365, number=3)  # only the attempts rule
        assert (failing.number, failing.paginator.count) == (1, 1)
        assert [e.user.username for e in failing] == ["reprueba"]

    def test_queries_do_not_grow(self, client, world, make_learner, course, sedes):
        client.force_login(world["coordinator"])
        client.get("/coordinacion/en-riesgo/")
        before = _queries(client, "/coordinacion/en-riesgo/")
        for index in range(4):
            user = make_learner(f"mas-{index}", sedes["norte"][2], course, lessons_done=1)
            _age(user, course, 20 + index)
        assert _queries(client, "/coordinacion/en-riesgo/") == before


class TestLearnerFile:
    def test_progress_attempts_and_certificates(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        learner = make_learner("ana", grupo, course, lessons_done=2, display_name="Ana Ruiz")
        # The author lets this course's final be taken before the lessons: the file shows
        # lessons done and not done beside a failed final.
        CoursePage.objects.filter(pk=course.pk).update(final_requires_lessons=False)
        final = AssessmentPage.objects.get(pk=course.final_assessment_id)
        assessments_api.submit_attempt(user=learner, assessment=final, answers={})
        client.force_login(coordinator)
        response = client.get(f"/coordinacion/educando/{learner.pk}/")
        assert response.status_code == 200
        (line,) = response.context["lines"]
        status = {
            lesson.step.page_id: lesson.progress and lesson.progress.status
            for lesson in line.lessons
        }
        lessons = _lessons(course)
        assert [status[s.page_id] for s in lessons] == ["completed"] * 2 + [None] * 3
        assert status[final.pk] == "started"  # failed once
        assert [a.passed for a in line.attempts] == [False]
        assert line.attempts[0].assessment_title == final.title
        assert "Ana Ruiz" in response.content.decode()

    def test_queries_do_not_grow_with_courses(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        learner = make_learner("ana", grupo, course, lessons_done=2)
        client.force_login(coordinator)
        url = f"/coordinacion/educando/{learner.pk}/"
        client.get(url)
        before = _queries(client, url)
        for other in courses_api.CoursePage.objects.exclude(pk=course.pk):
            enrollment_api.enroll(user=learner, course=other)
        client.get(url)  # the first request reads the new courses' steps into the cache
        assert _queries(client, url) == before

    def test_another_sedes_learner_is_not_found(self, client, sedes, make_learner, course):
        outside = make_learner("de-sur", sedes["sur"][2], course)
        loner = make_learner("sin-grupo")
        client.force_login(sedes["norte"][1])
        assert client.get(f"/coordinacion/educando/{outside.pk}/").status_code == 404
        assert client.get(f"/coordinacion/educando/{loner.pk}/").status_code == 404
        for action in ("codigo/", "grupo/", f"baja/{course.pk}/"):
            response = client.post(f"/coordinacion/educando/{outside.pk}/{action}")
            assert response.status_code == 404, action
        assert enrollment_api.is_enrolled(user=outside, course_id=course.pk)
        assert not ResetCode.objects.filter(user=outside).exists()

    def test_reset_code_redeems(self, client, sedes, make_learner):
        _sede, coordinator, grupo = sedes["norte"]
        learner = make_learner("ana", grupo)
        client.force_login(coordinator)
        assert client.get(f"/coordinacion/educando/{learner.pk}/codigo/").status_code == 405
        response = client.post(f"/coordinacion/educando/{learner.pk}/codigo/")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        code = response.context["code"]
        accounts_api.redeem_reset_code(
            username="ana", code=code, new_password="una-contraseña-nueva-larga"
        )
        learner.refresh_from_db()
        assert learner.check_password("una-contraseña-nueva-larga")
        reset = ResetCode.objects.get(user=learner)
        assert reset.created_by == coordinator

    def test_withdraw_keeps_progress(self, client, sedes, make_learner, course):
        _sede, coordinator, grupo = sedes["norte"]
        learner = make_learner("ana", grupo, course, lessons_done=2)
        client.force_login(coordinator)
        response = client.post(f"/coordinacion/educando/{learner.pk}/baja/{course.pk}/")
        assert response.status_code == 302
        assert not enrollment_api.is_enrolled(user=learner, course_id=course.pk)
        assert CourseProgress.objects.get(user=learner, course_id=course.pk).percent

    def test_move_to_another_grupo(self, client, sedes, make_learner):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        learner = make_learner("ana", grupo)
        client.force_login(coordinator)
        client.post(f"/coordinacion/educando/{learner.pk}/grupo/", {"grupo": second.pk})
        assert list(learner.grupos.all()) == [second]
        # A grupo of someone else's sede is refused and changes nothing.
        response = client.post(
            f"/coordinacion/educando/{learner.pk}/grupo/", {"grupo": sedes["sur"][2].pk}
        )
        assert response.status_code == 302
        assert list(learner.grupos.all()) == [second]

    def test_moving_leaves_grupos_of_other_sedes_alone(self, sedes, make_learner):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        learner = make_learner("ana", grupo)
        enrollment_api.add_to_grupo(grupo=sedes["sur"][2], user=learner)
        enrollment_api.move_to_grupo(user=learner, grupo=second, by=coordinator)
        assert set(learner.grupos.all()) == {second, sedes["sur"][2]}


class TestCertificateActions:
    @pytest.fixture
    def certified(self, sedes, make_learner, course, django_capture_on_commit_callbacks):
        _sede, _coordinator, grupo = sedes["norte"]
        learner = make_learner("ana", grupo, course, display_name="Ana Ruis")
        with django_capture_on_commit_callbacks(execute=True):
            enrollment = complete(learner, course)
        return Certificate.objects.get(enrollment=enrollment)

    def test_reissue_with_the_right_name(self, client, sedes, certified):
        client.force_login(sedes["norte"][1])
        url = f"/coordinacion/constancia/{certified.uuid}/corregir/"
        response = client.post(url, {"learner_name": "Ana Ruiz", "reason": "Error de dedo"})
        assert response.status_code == 302
        certified.refresh_from_db()
        assert certified.revoked_at and certified.replaced_by.learner_name == "Ana Ruiz"

    def test_revoke_needs_a_reason(self, client, sedes, certified):
        client.force_login(sedes["norte"][1])
        url = f"/coordinacion/constancia/{certified.uuid}/anular/"
        response = client.post(url, {"reason": "  "}, follow=True)
        assert "Escriba el motivo de la anulación." in response.content.decode()
        certified.refresh_from_db()
        assert certified.revoked_at is None
        client.post(url, {"reason": "Se inscribió con otra cuenta"})
        certified.refresh_from_db()
        assert certified.revoked_reason == "Se inscribió con otra cuenta"

    def test_other_sede_and_other_roles_cannot(self, client, sedes, certified, make_user):
        client.force_login(sedes["sur"][1])
        url = f"/coordinacion/constancia/{certified.uuid}/anular/"
        assert client.post(url, {"reason": "x"}).status_code == 404
        client.force_login(make_user("maestra", roles.ASESOR))
        assert client.post(url, {"reason": "x"}).status_code == 403
        certified.refresh_from_db()
        assert certified.revoked_at is None

    def test_pdf_download_follows_the_sede(self, client, sedes, certified):
        url = f"/mis-cursos/constancias/{certified.uuid}/pdf/"
        client.force_login(sedes["norte"][1])
        assert client.get(url).status_code == 200
        client.force_login(sedes["sur"][1])  # holds the same permission, other sede
        assert client.get(url).status_code == 404


class TestWayIn:
    def test_coordinators_land_on_their_dashboard(self, client, sedes, educando):
        response = client.post(
            "/cuenta/entrar/", {"username": "coordina-norte", "password": "contraseña-de-prueba"}
        )
        assert response.status_code == 302 and response["Location"] == "/coordinacion/"
        client.logout()
        response = client.post(
            "/cuenta/entrar/", {"username": "educanda1", "password": "contraseña-de-prueba"}
        )
        assert response["Location"] == "/mis-cursos/"

    def test_profile_and_admin_menu_link(self, client, sedes, asesor):
        client.force_login(sedes["norte"][1])
        assert 'href="/coordinacion/"' in client.get("/cuenta/").content.decode()
        assert '"/coordinacion/"' in client.get("/admin/").content.decode()
        client.force_login(asesor)
        assert 'href="/coordinacion/"' not in client.get("/cuenta/").content.decode()
        assert '"/coordinacion/"' not in client.get("/admin/").content.decode()
