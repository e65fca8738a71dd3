"""The Wagtail admin speaks Spanish to asesores and coordinadores (issue 12).

Wagtail's own Spanish catalog lacks hundreds of its admin strings ("32 Pages", "Search all
pages…", "Saved", "Layout"); Aula ships them in ``locale_wagtail/es`` (see its header).
These tests:

- walk the admin as an asesor (assigned to a course) and as a coordinator: the dashboard,
  the page explorer down to a unit, the edit and create views of lessons and assessments,
  a page waiting in "Revisión pedagógica", history, images, documents and their choosers
  (JSON answers carrying HTML), reports, the account, search, Aula's own admin views and
  every admin address without parameters the role may open. In the visible text (and the
  placeholder, title, aria-label and alt attributes, and the labels of buttons) they look
  for words that are English and never Spanish, and fail listing each phrase with its
  address. The pages' content is the shipped Spanish course library, so any English
  found is the admin's own.
- check the catalogs directly: every string of Wagtail's admin (server and JavaScript
  catalogs of the installed Wagtail apps) has a Spanish translation for es-mx and es.
- check that Wagtail's default "Moderators approval" workflow and its "Moderators" and
  "Editors" groups are gone, so the only workflow is "Revisión pedagógica" and the
  asesor's "submit for review" goes to it.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import wagtail
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from lxml import html as lxml_html
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Task, Workflow, WorkflowState

from courses import api as courses_api
from courses.models import AssessmentPage, LessonPage, UnitPage
from lms.accounts import api as accounts_api
from lms.accounts import roles
from tests.routes import named_routes

# Words that are English and never Spanish (nor common in Spanish admin text). Not here:
# words that are also Spanish ("no", "a", "me", "has", "sin", "final", "total", "error",
# "local", "id", "url", "email", "token", "slug", "api", "min", "hook", "tag"...).
ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """
    the and of to your you are is was were been have had this that these those with
    from for by into onto about which what when where who why how will would should can
    cannot could not there their they them it its all any more other others some none
    page pages search searching saved save saving edit edited editing delete deleted add
    added adding layout settings history preview status choose chosen upload uploaded
    view viewing live draft title more show hide filter filters sort sorted order items
    item select selected create created new latest previous next back cancel submit
    submitted approve approved reject rejected publish published unpublish unpublished
    schedule scheduled workflow workflows task tasks moderation revision revisions locked
    unlock unlocked lock privacy public private collection collections document documents
    image images file files size date time user users group groups account password
    change changes changed help dashboard explorer reports report site sites snippets
    snippet found match matching results result showing shown copy paste cut toggle
    enable disable enabled disabled keyboard shortcuts shortcut comments comment yes
    only also just here now never always please sorry loading refresh updated update
    owner type types usage used using name free drag drop browse close open expand
    collapse minimap checks warning warnings contrast density theme light dark
    """,
    )
)
WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+")
# Time zone names ("America/New_York") are identifiers, not English.
TIME_ZONE = re.compile(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)+$")
# Attributes whose text a person sees or hears (screen readers).
SPOKEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "aria-description")
WAGTAIL_DIR = Path(wagtail.__file__).parent
WAGTAIL_APPS = ("admin", "users", "images", "documents", "snippets", "", "contrib/settings")


def english_phrases(markup: str) -> set[str]:
    """Phrases of ``markup`` a person sees or hears that contain an English word."""
    if not markup.strip():
        return set()
    tree = lxml_html.fromstring(markup)
    # Not seen: scripts and styles. Not text: the side panel's counter, which its script
    # fills with a number (Wagtail renders "None" in it, hidden, until then).
    # Not the admin's words: the notes for reviewers, which cite sources by their own
    # titles, English ones too ("IRS, Topic no. 751, Social Security…").
    for element in tree.xpath(
        "//script|//style|//noscript|//*[@data-side-panel-toggle-counter]"
        "|//textarea[@name='review_notes']"
    ):
        element.drop_tree()
    texts = list(tree.xpath("//text()"))
    for attribute in SPOKEN_ATTRIBUTES:
        texts += tree.xpath(f"//@{attribute}")
    texts += tree.xpath("//input[@type='submit' or @type='button']/@value")
    found = set()
    for text in texts:
        text = " ".join(str(text).split())
        if TIME_ZONE.match(text):
            continue
        if any(word.lower() in ENGLISH for word in WORD.findall(text)):
            found.add(text[:120])
    return found


def visible_markup(response) -> str:
    """The HTML of an admin answer: the page itself, or the HTML a chooser's JSON carries."""
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(response.content)
        return "\n".join(v for v in _strings(data) if "<" in v)
    return response.content.decode()


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def walk(client, urls) -> tuple[set[str], dict[str, set[str]]]:
    """The addresses of ``urls`` the client may open, and the English phrases of each."""
    opened, english = set(), {}
    for url in urls:
        response = client.get(url, follow=False)
        kind = response.get("Content-Type", "")
        if response.status_code != 200 or not kind.startswith(("text/html", "application/json")):
            continue
        opened.add(url)
        phrases = english_phrases(visible_markup(response))
        if phrases:
            english[url] = phrases
    return opened, english


def report(english: dict[str, set[str]]) -> str:
    return "English in the admin:\n" + "\n".join(
        f"  {url}: {phrase!r}" for url, phrases in english.items() for phrase in sorted(phrases)
    )


# Addresses without parameters that are not pages to read: leaving, Wagtail's deliberate
# error page, exports, the endpoints that answer with data for scripts, and the "results"
# half of listings (the same table the listing itself shows, refreshed by its filters).
NOT_PAGES = re.compile(
    r"logout|error_test|export|jsi18n|javascript_catalog|sprite|_check|/ping|"
    r"autosave|upgrade|autocomplete|\.json|/results/$|^/admin/api/|^/admin/pages/search/$"
)


def parameterless_admin_urls() -> list[str]:
    urls = set()
    for route in named_routes():
        if route.route.startswith("admin/") and not route.pattern.pattern.regex.groups:
            url = reverse(route.name)
            if not NOT_PAGES.search(url) and not NOT_PAGES.search(route.name):
                urls.add(url)
    return sorted(urls)


@pytest.fixture
def world(asesor, coordinador, course):
    """The asesor assigned to the course, and a lesson of it waiting in "Revisión
    pedagógica" (submitted by the asesor). The course library brings images and a
    document."""
    courses_api.assign_asesores(course=course, users=[asesor])
    unit = UnitPage.objects.child_of(course).first()
    lesson = LessonPage.objects.descendant_of(course).first()
    assessment = AssessmentPage.objects.descendant_of(course).first()
    waiting = LessonPage.objects.descendant_of(course).exclude(pk=lesson.pk).first()
    revision = waiting.save_revision(user=asesor)
    waiting.get_workflow().start(waiting, asesor)
    return {
        "course": course,
        "unit": unit,
        "lesson": lesson,
        "assessment": assessment,
        "waiting": waiting,
        "revision": revision,
    }


def page_urls(world) -> list[str]:
    course, unit, lesson = world["course"], world["unit"], world["lesson"]
    assessment, waiting = world["assessment"], world["waiting"]
    urls = [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{course.get_parent().pk}/",
        f"/admin/pages/{course.pk}/",
        f"/admin/pages/{unit.pk}/",
        f"/admin/pages/{course.pk}/edit/",
        f"/admin/pages/{unit.pk}/edit/",
        f"/admin/pages/{lesson.pk}/edit/",
        f"/admin/pages/{assessment.pk}/edit/",
        f"/admin/pages/{waiting.pk}/edit/",
        f"/admin/pages/{unit.pk}/add_subpage/",
        f"/admin/pages/add/courses/lessonpage/{unit.pk}/",
        f"/admin/pages/add/courses/assessmentpage/{unit.pk}/",
        f"/admin/pages/{lesson.pk}/history/",
        f"/admin/pages/{waiting.pk}/history/",
        f"/admin/pages/{waiting.pk}/workflow_history/",
        f"/admin/pages/{lesson.pk}/usage/",
        f"/admin/pages/{lesson.pk}/move/",
        f"/admin/pages/{lesson.pk}/copy/",
        f"/admin/pages/{lesson.pk}/delete/",
        f"/admin/pages/{lesson.pk}/unpublish/",
        f"/admin/pages/{waiting.pk}/revisions/{world['revision'].pk}/view/",
        f"/admin/pages/{waiting.pk}/revisions/compare/live...{world['revision'].pk}/",
        reverse("assessments_item_analysis", args=[assessment.pk]),
        "/admin/pages/search/?q=fracciones",
        "/admin/pages/search/?q=zzzz",
        "/admin/choose-page/",
        f"/admin/choose-page/{course.pk}/",
        "/admin/choose-page/search/?q=fracciones",
        "/admin/images/chooser/",
        "/admin/images/chooser/results/?q=zzzz",
        "/admin/documents/chooser/",
        "/admin/documents/chooser/results/?q=zzzz",
        "/admin/images/?q=zzzz",
        "/admin/documents/?q=zzzz",
    ]
    for image in get_image_model().objects.all()[:1]:
        urls += [f"/admin/images/{image.pk}/", f"/admin/images/chooser/{image.pk}/select_format/"]
    for document in get_document_model().objects.all()[:1]:
        urls += [f"/admin/documents/edit/{document.pk}/"]
    return urls


@pytest.mark.parametrize("role", ["asesor", "coordinador"])
def test_the_admin_has_no_english_for_asesores_and_coordinators(role, world, client, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    opened, english = walk(client, page_urls(world) + parameterless_admin_urls())
    # The walk reached the pages that matter (not a string of redirects to the log-in).
    waiting = world["waiting"].pk
    expected = {
        "/admin/",
        f"/admin/pages/{world['lesson'].pk}/edit/",
        f"/admin/pages/{waiting}/edit/",
        f"/admin/pages/{waiting}/workflow_history/",
        f"/admin/pages/{waiting}/revisions/{world['revision'].pk}/view/",
        "/admin/images/",
        "/admin/images/chooser/",
        "/admin/documents/",
    }
    if role == "coordinador":
        image = get_image_model().objects.first()
        expected |= {f"/admin/images/{image.pk}/", "/admin/reports/aging-pages/"}
    assert expected <= opened, expected - opened
    assert not english, report(english)


def test_the_walk_finds_english():
    """The detector is not vacuous: Wagtail's English strings, untranslated, are found."""
    with translation.override("en"):
        found = english_phrases(
            '<p>32 Pages</p><input placeholder="Search all pages…"><span>Saved</span>'
            '<legend>Layout</legend><button title="Más opciones">ok</button>'
        )
    assert found == {"32 Pages", "Search all pages…", "Saved", "Layout"}
    assert not english_phrases("<p>32 páginas</p><p>No hay resultados. Diseño: sin título</p>")


@pytest.mark.parametrize("name", ["home.html", "shared/header.html"])
def test_aulas_copies_of_wagtail_templates_differ_only_in_the_translated_button(name):
    """Two Wagtail templates write a screen-reader "Search" button in English; Aula's
    copies translate it and are otherwise Wagtail's own (a Wagtail upgrade that changes
    them fails here: copy them again)."""
    ours = (Path(settings.BASE_DIR) / "templates" / "wagtailadmin" / name).read_text()
    wagtails = (WAGTAIL_DIR / "admin" / "templates" / "wagtailadmin" / name).read_text()
    assert 'value="Search"' in wagtails
    assert ours.split("\n", 1)[1] == wagtails.replace(
        'value="Search"', "value=\"{% translate 'Search' %}\""
    )


def test_wagtails_user_avatar_template_is_the_one_aulas_copy_replaces():
    """Aula's ``wagtailadmin/shared/user_avatar.html`` shows no name where Wagtail's shows
    "None" (a page published without a person: the course library's import, in the
    aging pages report). If Wagtail changes its template, look again and copy it."""
    wagtails = (WAGTAIL_DIR / "admin/templates/wagtailadmin/shared/user_avatar.html").read_text()
    assert wagtails == (
        '{% load wagtailadmin_tags %}\n\n{% avatar user=user size="small" %}\n\n'
        "{% if not username %}{{ user }}{% else %}{{ username }}{% endif %}\n"
    )


# --- The catalogs -------------------------------------------------------------------------


def _po_entries(path: Path):
    """(msgid, msgid_plural or None) of a .po file, header excluded."""
    entries, current, key = [], {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
        if match:
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                entries.append(current)
            current, key = {}, None
    return entries


def _wagtail_strings(domain: str):
    for app in WAGTAIL_APPS:
        path = WAGTAIL_DIR / app / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            yield from _po_entries(path)


def _translated(trans, key) -> bool:
    while trans is not None:
        if key in (getattr(trans, "_catalog", None) or {}):
            return True
        trans = getattr(trans, "_fallback", None)
    return False


@pytest.mark.parametrize("language", ["es-mx", "es"])
@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_wagtail_admin_string_has_spanish(language, domain):
    from django.utils.translation.trans_real import DjangoTranslation

    if domain == "django":
        trans = translation.trans_real.translation(language)
    else:
        # What Wagtail's JavaScript catalog view loads.
        trans = DjangoTranslation(
            translation.to_locale(language),
            domain="djangojs",
            localedirs=[str(WAGTAIL_DIR / "admin" / "locale")],
        )
    entries = list(_wagtail_strings(domain))
    assert len(entries) > (800 if domain == "django" else 80)
    missing = []
    for entry in entries:
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if not _translated(trans, (key, 0) if "msgid_plural" in entry else key):
            missing.append(entry["msgid"])
    assert not missing, (
        f"{len(missing)} Wagtail strings without Spanish (add them to "
        f"locale_wagtail/es/LC_MESSAGES/{domain}.po, then `make translations`):\n"
        + "\n".join(missing[:40])
    )


def test_the_javascript_catalog_of_the_admin_is_spanish(client, asesor):
    client.force_login(asesor)
    script = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    assert '"Changes have been autosaved."' in script
    assert '"Los cambios se guardaron autom\\u00e1ticamente."' in script or (
        '"Los cambios se guardaron automáticamente."' in script
    )


# --- One workflow: "Revisión pedagógica" --------------------------------------------------


def test_only_the_pedagogical_review_workflow_and_aulas_groups_remain(db):
    assert set(Workflow.objects.values_list("name", flat=True)) == {"Revisión pedagógica"}
    assert set(Task.objects.values_list("name", flat=True)) == {"Revisión pedagógica"}
    assert not Group.objects.filter(name__in=["Moderators", "Editors"]).exists()
    assert set(roles.ALL_ROLES) <= set(Group.objects.values_list("name", flat=True))


def test_the_asesor_submits_to_the_pedagogical_review(world, client, asesor):
    waiting = world["waiting"]
    state = WorkflowState.objects.get(object_id=str(waiting.pk))
    assert state.workflow.name == "Revisión pedagógica"
    client.force_login(asesor)
    page = client.get(f"/admin/pages/{world['lesson'].pk}/edit/").content.decode()
    assert "Enviar a Revisión pedagógica" in page
    assert "Moderators" not in page
    workflows = client.get(f"/admin/pages/{waiting.pk}/workflow_history/").content.decode()
    assert "Revisión pedagógica" in workflows


def test_retiring_the_default_workflow_keeps_its_history(db, course, asesor):
    """On an existing installation Wagtail's workflow may have moderated pages: its
    history is kept (the workflow disabled and taken off every page), and a page still
    waiting in it finishes first."""
    from wagtail.models import GroupApprovalTask, Page, WorkflowPage, WorkflowTask

    task = GroupApprovalTask.objects.create(name=courses_api.WAGTAIL_DEFAULT_WORKFLOW_NAME)
    old = Workflow.objects.create(name=courses_api.WAGTAIL_DEFAULT_WORKFLOW_NAME)
    WorkflowTask.objects.create(workflow=old, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=old, page=Page.get_first_root_node())
    lesson = LessonPage.objects.descendant_of(course).first()
    lesson.save_revision(user=asesor)
    state = old.start(lesson, asesor)

    accounts_api.ensure_roles()  # what `manage.py bootstrap` runs
    old.refresh_from_db()
    task.refresh_from_db()
    assert old.active and task.active  # a page is still waiting in it
    assert not WorkflowPage.objects.filter(workflow=old).exists()

    state.cancel(user=asesor)
    accounts_api.ensure_roles()
    old.refresh_from_db()
    task.refresh_from_db()
    assert not old.active and not task.active
    assert WorkflowState.objects.filter(workflow=old).exists()  # its history stays
    assert lesson.get_workflow().name == "Revisión pedagógica"

    WorkflowState.objects.filter(workflow=old).delete()
    accounts_api.ensure_roles()
    assert not Workflow.objects.filter(pk=old.pk).exists()
    assert not Task.objects.filter(pk=task.pk).exists()


def test_a_wagtail_default_group_with_members_is_kept(db, make_user):
    group = Group.objects.create(name="Editors")
    make_user("editora").groups.add(group)
    Group.objects.create(name="Moderators")
    accounts_api.ensure_roles()
    assert set(
        Group.objects.filter(name__in=["Moderators", "Editors"]).values_list("name", flat=True)
    ) == {"Editors"}
