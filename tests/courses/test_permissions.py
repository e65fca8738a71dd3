"""Who may do what in the course tree and the admin."""

import pytest
from wagtail.models import Workflow, WorkflowState

from courses import api
from courses.models import CatalogPage, CoursePage, LessonPage
from lms.accounts import roles


@pytest.fixture
def other_course(course):
    return CoursePage.objects.exclude(pk=course.pk).first()


@pytest.fixture
def assigned_asesor(asesor, course):
    api.assign_asesores(course=course, users=[asesor])
    return asesor


def _edit_url(page):
    return f"/admin/pages/{page.pk}/edit/"


class TestEducando:
    def test_cannot_reach_the_admin(self, client, educando):
        client.force_login(educando)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

    def test_cannot_edit_a_page(self, client, educando, course):
        client.force_login(educando)
        assert client.get(_edit_url(course)).status_code == 302


def test_anonymous_is_sent_to_login(client, course):
    response = client.get(_edit_url(course))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestAsesor:
    def test_edits_an_assigned_course_and_its_lessons(self, client, assigned_asesor, course):
        client.force_login(assigned_asesor)
        lesson = LessonPage.objects.descendant_of(course).first()
        assert client.get(_edit_url(course)).status_code == 200
        assert client.get(_edit_url(lesson)).status_code == 200
        perms = lesson.permissions_for_user(assigned_asesor)
        assert perms.can_edit() and perms.can_add_subpage() is False  # lessons have no children
        assert course.permissions_for_user(assigned_asesor).can_add_subpage()

    def test_cannot_edit_another_asesors_course(self, client, assigned_asesor, other_course):
        client.force_login(assigned_asesor)
        lesson = LessonPage.objects.descendant_of(other_course).first()
        assert client.get(_edit_url(other_course)).status_code in (302, 403)
        assert client.get(_edit_url(lesson)).status_code in (302, 403)
        assert not other_course.permissions_for_user(assigned_asesor).can_edit()
        assert not other_course.permissions_for_user(assigned_asesor).can_add_subpage()
        response = client.get(f"/admin/pages/add/courses/lessonpage/{other_course.pk}/")
        assert response.status_code in (302, 403)

    def test_cannot_create_courses_or_publish(self, assigned_asesor, catalog, course):
        assert not catalog.permissions_for_user(assigned_asesor).can_add_subpage()
        assert not course.permissions_for_user(assigned_asesor).can_publish()

    def test_cannot_assign_asesores(self, client, assigned_asesor, course):
        client.force_login(assigned_asesor)
        html = client.get(_edit_url(course)).content.decode()
        assert 'name="asesores"' not in html

    def test_submits_changes_to_pedagogical_review(
        self, client, assigned_asesor, coordinador, course
    ):
        lesson = LessonPage.objects.descendant_of(course).first().specific
        workflow = lesson.get_workflow()
        assert workflow is not None and workflow.name == "Revisión pedagógica"
        title = lesson.title
        lesson.title = "Título propuesto por el asesor"
        revision = lesson.save_revision(user=assigned_asesor)
        workflow.start(lesson, assigned_asesor)
        state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(lesson.pk))
        assert state.status == WorkflowState.STATUS_IN_PROGRESS
        lesson.refresh_from_db()
        assert lesson.title == title  # nothing is published until a coordinator approves
        task_state = state.current_task_state
        assert task_state.task.specific.user_can_access_editor(lesson, coordinador)
        task_state.task.specific.on_action(task_state, coordinador, "approve")
        lesson.refresh_from_db()
        assert lesson.title == "Título propuesto por el asesor"
        assert lesson.live_revision_id == revision.pk


class TestCoordinador:
    def test_edits_and_publishes_any_course(self, client, coordinador, course, other_course):
        client.force_login(coordinador)
        for page in (course, other_course):
            assert client.get(_edit_url(page)).status_code == 200
            perms = page.permissions_for_user(coordinador)
            assert perms.can_edit() and perms.can_publish()
        assert CatalogPage.objects.get().permissions_for_user(coordinador).can_add_subpage()

    def test_sees_the_asesores_field(self, client, coordinador, course):
        client.force_login(coordinador)
        assert 'name="asesores"' in client.get(_edit_url(course)).content.decode()

    def test_manages_the_curriculum(self, client, coordinador):
        client.force_login(coordinador)
        assert client.get("/admin/snippets/courses/module/").status_code == 200
        assert client.get("/admin/snippets/courses/credentialrule/").status_code == 200


def test_asesor_cannot_edit_the_curriculum(client, asesor):
    client.force_login(asesor)
    assert client.get("/admin/snippets/courses/module/add/").status_code in (302, 403)


def test_roles_are_idempotent(db):
    from lms.accounts import api as accounts_api

    first = accounts_api.ensure_roles()
    second = accounts_api.ensure_roles()
    assert {g.pk for g in first.values()} == {g.pk for g in second.values()}
    assert set(first) == set(roles.ALL_ROLES)
    assert Workflow.objects.filter(name="Revisión pedagógica").count() == 1
