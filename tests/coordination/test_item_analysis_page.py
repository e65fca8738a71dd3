"""The item analysis pages (issue 11): the coordinator's, scoped to their sedes, and the
Wagtail admin's, for whoever may edit the assessment. No learner is named on either."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses import api as courses_api
from courses.models import AssessmentPage, CoursePage
from lms.accounts import api as accounts_api
from lms.assessments import api as assessments_api
from tests.helpers import complete_required_lessons, right_answers


@pytest.fixture
def final(course):
    return course.final_assessment.specific


def _coordinator_url(course, final):
    return f"/coordinacion/curso/{course.pk}/evaluacion/{final.pk}/"


def _admin_url(final):
    return f"/admin/evaluaciones/{final.pk}/analisis/"


@pytest.fixture
def answered(sedes, make_learner, course, final):
    """Norte: two learners, everything right; sur: one learner, nothing answered."""
    people = {}
    for name, key, answers in (
        ("rosalinda-norte", "norte", right_answers(final)),
        ("hermenegildo-norte", "norte", right_answers(final)),
        ("bartolome-sur", "sur", {}),
    ):
        learner = make_learner(name, sedes[key][2], course)
        complete_required_lessons(learner, course)
        assessments_api.submit_attempt(user=learner, assessment=final, answers=answers)
        people[name] = learner
    return people


def _first_row(html: str) -> str:
    """The figures table of question 1."""
    start = html.index('id="cifras-1"')
    return html[start : html.index("</table>", start)]


class TestCoordinatorPage:
    def test_only_the_learners_of_their_sedes(self, client, sedes, answered, course, final):
        client.force_login(sedes["norte"][1])
        response = client.get(_coordinator_url(course, final))
        assert response.status_code == 200
        analysis = response.context["analysis"]
        assert analysis.attempts == 2
        assert [item.right for item in analysis.items] == [2] * len(analysis.items)
        html = response.content.decode()
        assert "Análisis de preguntas" in html
        assert final.questions[0].value["prompt"][:20] in html
        for name in answered:  # no learner is named
            assert name not in html

    def test_another_sede_sees_its_own(self, client, sedes, answered, course, final):
        client.force_login(sedes["sur"][1])
        analysis = client.get(_coordinator_url(course, final)).context["analysis"]
        assert analysis.attempts == 1
        assert [item.right for item in analysis.items] == [0] * len(analysis.items)
        assert [item.answered for item in analysis.items] == [0] * len(analysis.items)

    def test_the_grupo_filter_narrows(self, client, sedes, answered, course, final, make_user):
        from lms.enrollment.models import Grupo

        admin = make_user("admin-todo", accounts_api.roles.ADMINISTRADOR)
        client.force_login(admin)
        everyone = client.get(_coordinator_url(course, final)).context["analysis"]
        assert everyone.attempts == 3
        other = Grupo.objects.create(sede=sedes["norte"][0], name="Grupo 2")
        narrowed = client.get(_coordinator_url(course, final), {"grupo": other.pk})
        assert narrowed.context["analysis"].attempts == 0
        by_sede = client.get(_coordinator_url(course, final), {"sede": "sur"})
        assert by_sede.context["analysis"].attempts == 1

    def test_a_learner_moved_later_keeps_their_answers_in_the_old_grupo(
        self, client, sedes, answered, course, final, make_user
    ):
        from lms.enrollment import api as enrollment_api

        admin = make_user("admin-mueve", accounts_api.roles.ADMINISTRADOR)
        enrollment_api.move_to_grupo(
            user=answered["rosalinda-norte"], grupo=sedes["sur"][2], by=admin
        )
        client.force_login(sedes["norte"][1])
        assert client.get(_coordinator_url(course, final)).context["analysis"].attempts == 2
        client.force_login(sedes["sur"][1])
        analysis = client.get(_coordinator_url(course, final)).context["analysis"]
        assert analysis.attempts == 1
        assert [item.right for item in analysis.items] == [0] * len(analysis.items)

    def test_the_median_time_says_it_is_approximate(
        self, client, sedes, make_learner, course, final
    ):
        learner = make_learner("con-tiempo", sedes["norte"][2], course)
        complete_required_lessons(learner, course)
        token = assessments_api.shown_at_token(
            user_id=learner.pk, now=timezone.now() - timedelta(seconds=122)
        )
        assessments_api.submit_attempt(user=learner, assessment=final, answers={}, shown_at=token)
        client.force_login(sedes["norte"][1])
        html = client.get(_coordinator_url(course, final)).content.decode()
        assert "aproximada a 10 s" in html and "2 min 0 s" in html

    def test_linked_from_the_course_page(self, client, sedes, course, final):
        client.force_login(sedes["norte"][1])
        html = client.get(f"/coordinacion/curso/{course.pk}/").content.decode()
        assert f'href="{_coordinator_url(course, final)}"' in html

    def test_an_assessment_of_another_course_is_404(self, client, sedes, course, final):
        other = (
            CoursePage.objects.live()
            .exclude(pk=course.pk)
            .filter(final_assessment__isnull=False)
            .first()
        )
        client.force_login(sedes["norte"][1])
        assert client.get(_coordinator_url(other, final)).status_code == 404
        lesson = course.get_children().live().not_type(AssessmentPage).first()
        assert client.get(_coordinator_url(course, lesson)).status_code == 404
        assert client.get(f"/coordinacion/curso/{course.pk}/evaluacion/999999/").status_code == 404

    @pytest.mark.parametrize("role", ["educando", "asesor"])
    def test_wrong_roles_get_403(self, client, make_user, course, final, role):
        roles = {"educando": accounts_api.roles.EDUCANDO, "asesor": accounts_api.roles.ASESOR}
        client.force_login(make_user(f"sin-sede-{role}", roles[role]))
        assert client.get(_coordinator_url(course, final)).status_code == 403

    def test_anonymous_goes_to_log_in(self, client, course, final):
        response = client.get(_coordinator_url(course, final))
        assert response.status_code == 302
        assert "/cuenta/entrar/" in response["Location"]

    @pytest.mark.parametrize("timed", [False, True])
    @pytest.mark.parametrize("learners", [1, 4])
    def test_a_constant_number_of_queries(
        self, client, sedes, make_learner, course, final, learners, timed,
        django_assert_num_queries,
    ):  # fmt: skip
        for index in range(learners):
            learner = make_learner(f"l{index}", sedes["norte"][2], course)
            complete_required_lessons(learner, course)
            shown_at = assessments_api.shown_at_token(
                user_id=learner.pk, now=timezone.now() - timedelta(seconds=95)
            )
            assessments_api.submit_attempt(
                user=learner,
                assessment=final,
                answers=right_answers(final) if index else {},
                shown_at=shown_at if timed else None,
            )
        client.force_login(sedes["norte"][1])
        client.get(_coordinator_url(course, final))  # warm caches (site, session)
        with django_assert_num_queries(QUERIES + (1 if timed else 0)):
            assert client.get(_coordinator_url(course, final)).status_code == 200


# Session, user and the second-step device, the user's permissions and their groups'
# permissions, the scope check, course and assessment, the filter's sedes and grupos, and
# the analysis (2: the attempts by score, the responses): the same for any number of
# learners, attempts, questions or options. When some attempt has a recorded time, one
# more reads the time tallies for the median time (bench/item_analysis.py's data set has
# times: it counts 13).
QUERIES = 12


class TestAdminPage:
    def test_a_coordinator_sees_only_their_sedes(self, client, sedes, answered, final):
        """Like every coordinator page: the admin's figures of another sede's learners would
        let a coordinator single one out by comparing them with their own."""
        client.force_login(sedes["sur"][1])
        response = client.get(_admin_url(final))
        assert response.status_code == 200
        assert response.context["analysis"].attempts == 1
        html = response.content.decode()
        assert "Análisis de preguntas" in html and '<th scope="row">' in html
        assert "de los grupos que usted asesora" in html
        for name in answered:
            assert name not in html

    def test_an_administrator_sees_every_learner(self, client, make_user, answered, final):
        client.force_login(make_user("admin-todo", accounts_api.roles.ADMINISTRADOR))
        response = client.get(_admin_url(final))
        assert response.status_code == 200
        assert response.context["analysis"].attempts == 3
        assert "Cifras de todos los intentos de todos los educandos" in response.content.decode()

    def test_the_asesor_of_the_course_sees_their_grupos(
        self, client, make_user, sedes, course, final, answered
    ):
        asesor = make_user("asesora-curso", accounts_api.roles.ASESOR)
        courses_api.assign_asesores(course=course, users=[asesor])
        client.force_login(asesor)
        response = client.get(_admin_url(final))
        assert response.status_code == 200
        assert response.context["analysis"].attempts == 0  # asesora of no grupo yet
        sedes["norte"][2].asesores.add(asesor)
        assert client.get(_admin_url(final)).context["analysis"].attempts == 2
        # The button in the page's admin header leads there.
        edit = client.get(f"/admin/pages/{final.pk}/edit/").content.decode()
        assert _admin_url(final) in edit

    def test_an_asesor_of_another_course_gets_403(self, client, asesor, final):
        client.force_login(asesor)
        assert client.get(_admin_url(final)).status_code == 403
        assert (
            _admin_url(final) not in client.get(f"/admin/pages/{final.pk}/edit/").content.decode()
        )

    def test_a_learner_and_anonymous_are_kept_out(self, client, educando, final):
        anonymous = client.get(_admin_url(final))
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
        client.force_login(educando)
        response = client.get(_admin_url(final))
        assert response.status_code in (302, 403)
        assert "analysis" not in (response.context or {})

    def test_not_an_assessment_is_404(self, client, sedes, course):
        client.force_login(sedes["norte"][1])
        assert client.get(f"/admin/evaluaciones/{course.pk}/analisis/").status_code == 404

    @pytest.mark.parametrize("learners", [1, 3])
    def test_a_constant_number_of_queries(
        self, client, sedes, make_learner, make_user, course, final, learners,
        django_assert_num_queries,
    ):  # fmt: skip
        for index in range(learners):
            learner = make_learner(f"a{index}", sedes["norte"][2], course)
            complete_required_lessons(learner, course)
            assessments_api.submit_attempt(user=learner, assessment=final, answers={})
        admin = make_user("admin-consultas", accounts_api.roles.ADMINISTRADOR)
        client.force_login(admin)
        client.get(_admin_url(final))
        with django_assert_num_queries(ADMIN_QUERIES):
            assert client.get(_admin_url(final)).status_code == 200


# The admin's own (session, user, second step, permissions, profile, locale, menu…), the
# page and its permissions, the collection permissions of the menu (twice: Wagtail's
# collections policy and Aula's media policy, courses/media.py, keep separate caches), and
# the analysis (two: no attempt has a time here).
ADMIN_QUERIES = 15
