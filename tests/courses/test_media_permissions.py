"""Every authoring role can use every media block: images and documents (video, audio,
captions and downloads are documents) by collection (``courses/media.py``).

- a collection per course under "Cursos", named by the course and renamed with it;
- asesores choose every file and upload and change only in their own courses'
  collections; coordinators and administrators everywhere; learners nowhere;
- deleting: administrators anything, everyone else only their own upload that no page
  uses;
- ``ensure_roles`` grants all of it, idempotently, and repairs an existing installation.
"""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission
from wagtail.permissions import policy_registry

from courses import api as courses_api
from courses.media import COURSES_COLLECTION_NAME
from courses.models import CourseCollection, CoursePage, LessonPage
from lms.accounts import api as accounts_api
from lms.accounts import roles

Image = get_image_model()
Document = get_document_model()


def _png(name: str = "foto.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    PILImage.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _image(title: str, collection: Collection, owner=None):
    buffer = BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return Image.objects.create(
        title=title,
        collection=collection,
        uploaded_by_user=owner,
        file=ImageFile(BytesIO(buffer.getvalue()), name=f"{title}.png"),
    )


def _document(title: str, collection: Collection, owner=None):
    return Document.objects.create(
        title=title,
        collection=collection,
        uploaded_by_user=owner,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name=f"{title}.pdf"),
    )


def _chooser_html(response) -> str:
    assert response.status_code == 200, response.status_code
    return json.loads(response.content)["html"]


@pytest.fixture
def other_course(course):
    return CoursePage.objects.exclude(pk=course.pk).first()


@pytest.fixture
def assigned_asesor(asesor, course):
    courses_api.assign_asesores(course=course, users=[asesor])
    return asesor


@pytest.fixture
def administrador(make_user):
    return make_user("jefa", roles.ADMINISTRADOR)


@pytest.fixture
def people(assigned_asesor, coordinador, administrador):
    return {"asesor": assigned_asesor, "coordinador": coordinador, "administrador": administrador}


@pytest.fixture
def shared(db):
    """A file of each kind in the shared course library's collection, as the importer
    leaves them."""
    library = Collection.objects.get(name="Biblioteca de cursos")
    return {
        "image": _image("mapa-compartido", library),
        "document": _document("guia-compartida", library),
    }


# --- The collection tree ---------------------------------------------------------------------


class TestCollectionTree:
    def test_every_course_has_its_collection_under_cursos(self, db):
        cursos = Collection.get_first_root_node().get_children().get(name=COURSES_COLLECTION_NAME)
        courses = list(CoursePage.objects.all())
        assert courses
        for course in courses:
            collection = CourseCollection.objects.get(course=course).collection
            assert collection.name == course.title
            assert collection.get_parent() == cursos

    def test_a_new_course_gets_one_and_a_renamed_course_renames_it(self, catalog):
        course = CoursePage(title="Cuidar la salud", slug="cuidar-la-salud", summary="Salud.")
        catalog.add_child(instance=course)
        collection = CourseCollection.objects.get(course=course).collection  # made on save
        assert collection.name == "Cuidar la salud"
        assert collection.get_parent().name == COURSES_COLLECTION_NAME
        course.title = "Cuidar la salud en familia"
        course.save_revision().publish()
        collection.refresh_from_db()
        assert collection.name == "Cuidar la salud en familia"
        assert CourseCollection.objects.filter(course=course).count() == 1


# --- Choosing and uploading, per role ------------------------------------------------------


@pytest.mark.parametrize("role", ["asesor", "coordinador", "administrador"])
class TestChoosers:
    def test_image_chooser_lists_shared_images_and_offers_upload(
        self, client, people, shared, role
    ):
        client.force_login(people[role])
        html = _chooser_html(client.get("/admin/images/chooser/"))
        assert "mapa-compartido" in html
        assert "/admin/images/chooser/create/" in html  # the upload tab's form

    def test_document_chooser_lists_shared_documents_and_offers_upload(
        self, client, people, shared, role
    ):
        client.force_login(people[role])
        html = _chooser_html(client.get("/admin/documents/chooser/"))
        assert "guia-compartida" in html
        assert "/admin/documents/chooser/create/" in html

    def test_uploads_an_image_and_a_document_into_the_course(self, client, people, course, role):
        client.force_login(people[role])
        collection = courses_api.course_collection(course)
        response = client.post(
            "/admin/images/chooser/create/",
            {
                "image-chooser-upload-title": "Pastel",
                "image-chooser-upload-file": _png(),
                "image-chooser-upload-collection": collection.pk,
                "image-chooser-upload-description": "Un pastel partido en ocho",
            },
        )
        assert json.loads(response.content)["step"] == "chosen", response.content[:500]
        image = Image.objects.get(title="Pastel")
        assert image.collection == collection and image.uploaded_by_user == people[role]
        response = client.post(
            "/admin/documents/chooser/create/",
            {
                "document-chooser-upload-title": "Ejercicios",
                "document-chooser-upload-file": SimpleUploadedFile("ejercicios.txt", b"1/2 + 1/4"),
                "document-chooser-upload-collection": collection.pk,
            },
        )
        assert json.loads(response.content)["step"] == "chosen", response.content[:500]
        assert Document.objects.get(title="Ejercicios").collection == collection


class TestAsesorIsLimitedToTheirCourses:
    def test_upload_into_a_course_not_assigned_is_refused(
        self, client, assigned_asesor, course, other_course
    ):
        """With two courses the form asks which: another course's collection is refused.
        With one, the form offers no choice and files the upload in that course."""
        elsewhere = courses_api.course_collection(other_course)
        image_fields = {
            "image-chooser-upload-title": "Intruso",
            "image-chooser-upload-collection": elsewhere.pk,
            "image-chooser-upload-description": "No",
        }
        document_fields = {
            "document-chooser-upload-title": "Intruso",
            "document-chooser-upload-collection": elsewhere.pk,
        }
        client.force_login(assigned_asesor)
        client.post(
            "/admin/images/chooser/create/", {**image_fields, "image-chooser-upload-file": _png()}
        )
        client.post(
            "/admin/documents/chooser/create/",
            {**document_fields, "document-chooser-upload-file": SimpleUploadedFile("x.txt", b"x")},
        )
        own = courses_api.course_collection(course)
        assert Image.objects.get(title="Intruso").collection == own
        assert Document.objects.get(title="Intruso").collection == own
        Image.objects.filter(title="Intruso").delete()
        Document.objects.filter(title="Intruso").delete()

        third = CoursePage.objects.exclude(pk__in=[course.pk, other_course.pk]).first()
        courses_api.assign_asesores(course=third, users=[assigned_asesor])
        client.force_login(assigned_asesor)
        response = client.post(
            "/admin/images/chooser/create/", {**image_fields, "image-chooser-upload-file": _png()}
        )
        assert json.loads(response.content)["step"] != "chosen"
        assert "image-chooser-upload-collection" in json.loads(response.content)["htmlFragment"]
        response = client.post(
            "/admin/documents/chooser/create/",
            {**document_fields, "document-chooser-upload-file": SimpleUploadedFile("x.txt", b"x")},
        )
        assert json.loads(response.content)["step"] != "chosen"
        assert not Image.objects.filter(title="Intruso").exists()
        assert not Document.objects.filter(title="Intruso").exists()
        assert not Image.objects.filter(collection=elsewhere).exists()

    def test_upload_forms_offer_only_their_courses(
        self, client, assigned_asesor, course, other_course
    ):
        """One course: the form files the upload there (no choice). Two: those two."""
        client.force_login(assigned_asesor)
        own = courses_api.course_collection(course)
        policy = policy_registry.get_by_type(Image)
        assert list(policy.collections_user_has_permission_for(assigned_asesor, "add")) == [own]
        third = CoursePage.objects.exclude(pk__in=[course.pk, other_course.pk]).first()
        courses_api.assign_asesores(course=third, users=[assigned_asesor])
        client.force_login(assigned_asesor)  # a fresh user object: no cached permissions
        for url in ("/admin/images/multiple/add/", "/admin/documents/multiple/add/"):
            html = client.get(url).content.decode()
            offered = set(re.findall(r'<option value="(\d+)"', html))
            assert offered == {str(own.pk), str(courses_api.course_collection(third).pk)}, url

    def test_cannot_change_media_of_another_course(
        self, client, assigned_asesor, other_course, coordinador
    ):
        elsewhere = courses_api.course_collection(other_course)
        image = _image("ajeno", elsewhere, owner=coordinador)
        document = _document("ajeno", elsewhere, owner=coordinador)
        client.force_login(assigned_asesor)
        for url in (f"/admin/images/{image.pk}/", f"/admin/documents/edit/{document.pk}/"):
            response = client.get(url)
            assert response.status_code in (302, 403), url
            response = client.post(url, {"title": "cambiado"})
            assert response.status_code in (302, 403), url
        image.refresh_from_db()
        document.refresh_from_db()
        assert image.title == document.title == "ajeno"

    def test_replaces_a_file_in_their_course(self, client, assigned_asesor, course, coordinador):
        """Change is for every file of their course, not only their own uploads."""
        document = _document("horario", courses_api.course_collection(course), owner=coordinador)
        client.force_login(assigned_asesor)
        response = client.post(
            f"/admin/documents/edit/{document.pk}/",
            {
                "title": "horario",
                "file": SimpleUploadedFile("horario.txt", b"lunes 5 pm"),
                "collection": document.collection_id,
                "tags": "",
            },
        )
        assert response.status_code == 302
        document.refresh_from_db()
        assert document.file.read() == b"lunes 5 pm"

    def test_unassigned_asesor_has_no_upload(self, client, asesor, shared):
        client.force_login(asesor)
        html = _chooser_html(client.get("/admin/images/chooser/"))
        assert "mapa-compartido" in html  # still chooses shared files
        assert "/admin/images/chooser/create/" not in html
        assert not policy_registry.get_by_type(Document).user_has_permission(asesor, "add")

    def test_losing_the_course_loses_its_media(self, client, assigned_asesor, course):
        image = _image("propia", courses_api.course_collection(course), owner=assigned_asesor)
        policy = policy_registry.get_by_type(Image)
        assert policy.user_has_permission_for_instance(assigned_asesor, "change", image)
        courses_api.assign_asesores(course=course, users=[])
        client.force_login(assigned_asesor)
        assert client.get(f"/admin/images/{image.pk}/").status_code in (302, 403)


def test_educando_gets_no_media_admin(client, educando, shared):
    client.force_login(educando)
    for url in (
        "/admin/images/chooser/",
        "/admin/documents/chooser/",
        "/admin/images/",
        f"/admin/images/{shared['image'].pk}/",
        f"/admin/documents/edit/{shared['document'].pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    response = client.post("/admin/images/chooser/create/", {})
    assert response.status_code == 302
    assert not policy_registry.get_by_type(Image).user_has_permission(educando, "choose")


# --- Deleting ----------------------------------------------------------------------------------


def _delete(client, obj) -> int:
    kind = "images" if isinstance(obj, Image) else "documents"
    url = (
        f"/admin/{kind}/{obj.pk}/delete/"
        if kind == "images"
        else f"/admin/documents/delete/{obj.pk}/"
    )
    return client.post(url).status_code


class TestDelete:
    def test_administrators_delete_any_file_even_in_use(
        self, client, administrador, shared, course
    ):
        lesson = LessonPage.objects.descendant_of(course).first()
        lesson.body.append(("image", {"image": shared["image"], "alt": "Mapa", "caption": ""}))
        lesson.save_revision().publish()
        client.force_login(administrador)
        assert _delete(client, shared["image"]) == 302
        assert _delete(client, shared["document"]) == 302
        assert not Image.objects.filter(pk=shared["image"].pk).exists()
        assert not Document.objects.filter(pk=shared["document"].pk).exists()

    @pytest.mark.parametrize("role", ["asesor", "coordinador"])
    def test_others_delete_only_their_own_unused_upload(self, client, people, shared, course, role):
        person = people[role]
        collection = courses_api.course_collection(course)
        mistake = _image("equivocada", collection, owner=person)
        used = _document("usada", collection, owner=person)
        lesson = LessonPage.objects.descendant_of(course).first()
        lesson.body.append(("document", {"document": used, "title": "Usada", "description": ""}))
        lesson.save_revision().publish()
        client.force_login(person)
        assert _delete(client, mistake) == 302
        assert not Image.objects.filter(pk=mistake.pk).exists()
        assert _delete(client, used) in (302, 403)
        assert _delete(client, shared["image"]) in (302, 403)
        assert _delete(client, shared["document"]) in (302, 403)
        assert Document.objects.filter(pk=used.pk).exists()
        assert Image.objects.filter(pk=shared["image"].pk).exists()
        assert Document.objects.filter(pk=shared["document"].pk).exists()


# --- Set-up: granted with the roles, idempotent, repairs -------------------------------------


def _snapshot():
    return sorted(
        GroupCollectionPermission.objects.values_list(
            "group__name", "collection__name", "permission__codename"
        )
    )


class TestSetup:
    def test_roles_hold_their_collection_permissions(self, db):
        granted = set(_snapshot())
        root = Collection.get_first_root_node().name
        assert (roles.ASESOR, root, "choose_image") in granted
        assert (roles.ASESOR, COURSES_COLLECTION_NAME, "add_document") in granted
        assert (roles.ASESOR, root, "add_image") not in granted
        assert (roles.COORDINADOR, root, "change_document") in granted
        assert (roles.COORDINADOR, root, "delete_image") not in granted
        assert (roles.ADMINISTRADOR, root, "delete_document") in granted
        assert not [row for row in granted if row[0] == roles.EDUCANDO]

    def test_idempotent(self, db):
        before = _snapshot()
        accounts_api.ensure_roles()
        accounts_api.ensure_roles()
        assert _snapshot() == before
        assert CourseCollection.objects.count() == CoursePage.objects.count()

    def test_repairs_an_existing_installation(self, db, course):
        """As before this change: no collection per course, no collection permissions."""
        before = _snapshot()
        GroupCollectionPermission.objects.filter(group__name__in=roles.ALL_ROLES).delete()
        CourseCollection.objects.filter(course=course).delete()
        accounts_api.ensure_roles()
        assert _snapshot() == before
        assert CourseCollection.objects.get(course=course).collection.name == course.title
