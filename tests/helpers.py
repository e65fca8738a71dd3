"""Helpers shared by test modules of several apps: import them from here, never from
another test module.

- ``complete(user, course)``: finish a course the way a learner does, through learning
  events, so completion, ``course_completed`` and whatever hangs on it run for real.
- ``complete_required_lessons(user, course)``: finish its required lessons only, as a
  learner does before its final assessment opens.
- ``certificate_receiver_muted()``: ``course_completed`` reaches no certificate
  receiver inside the block, as if its message had been lost.
- ``make_user``, ``make_learner``, ``make_sedes``, ``the_course``, ``log_in``: what
  conftest's fixtures build, for ``django.test.TestCase.setUpTestData`` (see below).
- ``right_answer(block)``, ``right_answers(assessment)``, ``post_answers(client,
  assessment, answers)``: answer an assessment as the quiz form does.
- ``run_django(code, settings, **env)``: run code in a fresh Django process whose
  environment has only ``env`` of Aula's variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment
from lms.progress import api as progress_api

# The dispatch_uid under which lms/certificates/apps.py connects its receiver.
CERTIFICATE_RECEIVER = "issue-certificate"


def complete(user, course):
    """Complete ``course`` (the user is already enrolled) through learning events, as a
    learner would: every required lesson done, every required assessment passed. Returns
    the enrollment."""
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    for step in steps.steps:
        if step.page_id in steps.required_ids:
            verb = "passed" if step.kind == "assessment" else "completed"
            progress_api.record_server_event(user=user, verb=verb, page_id=step.page_id)
    return Enrollment.objects.get(user=user, course_id=course.pk)


def complete_required_lessons(user, course) -> None:
    """Finish every required lesson of ``course`` through learning events (the user is
    already enrolled), as a learner does before the final opens; assessments untouched."""
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    for step in steps.steps:
        if step.kind == "lesson" and step.required:
            progress_api.record_server_event(user=user, verb="completed", page_id=step.page_id)


@contextmanager
def certificate_receiver_muted() -> Iterator[None]:
    """Inside the block, completing a course queues no certificate; the receiver is back
    afterwards, whatever happened."""
    from lms.certificates import api as certificates_api

    enrollment_api.course_completed.disconnect(dispatch_uid=CERTIFICATE_RECEIVER)
    try:
        yield
    finally:
        enrollment_api.course_completed.connect(
            certificates_api.on_course_completed, dispatch_uid=CERTIFICATE_RECEIVER
        )


# --- Data shared by a test class ----------------------------------------------------------
# ``django.test.TestCase.setUpTestData`` runs before any pytest fixture and cannot ask for
# one. These build what conftest's ``make_user``, ``make_learner``, ``sedes`` and ``course``
# fixtures build, the same way, for classes whose tests only read their data: Django builds
# it once for the class and rolls it back after the class (and each test's changes after
# the test).

PASSWORD = "contraseña-de-prueba"


def make_user(username: str, *roles: str, **fields):
    """A user with ``roles`` and the password ``PASSWORD`` (conftest's ``make_user``)."""
    from django.contrib.auth import get_user_model

    from lms.accounts import api as accounts_api

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    for role in roles:
        user.groups.add(accounts_api.ensure_roles()[role])
    return user


def make_learner(name, grupo=None, course=None, *, lessons_done=0, **fields):
    """conftest's ``make_learner``: an educando in ``grupo``, enrolled in ``course`` (if
    given), who has finished its first ``lessons_done`` required lessons."""
    from lms.accounts import api as accounts_api

    user = make_user(name, accounts_api.roles.EDUCANDO, **fields)
    if grupo is not None:
        enrollment_api.add_to_grupo(grupo=grupo, user=user)
    if course is not None:
        enrollment_api.enroll(user=user, course=course)
        steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
        lessons = [s for s in steps.steps if s.kind == "lesson" and s.required]
        for step in lessons[:lessons_done]:
            progress_api.record_server_event(user=user, verb="completed", page_id=step.page_id)
    return user


def make_sedes():
    """conftest's ``sedes``: ``{"norte": (sede, coordinator, grupo), "sur": (...)}``."""
    from lms.accounts import api as accounts_api
    from lms.enrollment.models import Grupo, Sede

    made = {}
    for key in ("norte", "sur"):
        sede = Sede.objects.create(key=key, name=f"Plaza {key}", kind=enrollment_api.SedeKind.PLAZA)
        coordinator = make_user(f"coordina-{key}", accounts_api.roles.COORDINADOR)
        sede.coordinators.add(coordinator)
        grupo = Grupo.objects.create(sede=sede, name="Grupo 1")
        made[key] = (sede, coordinator, grupo)
    return made


def the_course():
    """conftest's ``course``: "Fracciones y porcentajes", from the course library."""
    from courses.models import CoursePage

    return CoursePage.objects.get(slug="fracciones-y-porcentajes")


def log_in(client, user) -> None:
    """``client.force_login(user)`` past the second step, as conftest's autouse fixture
    makes it inside tests (it is not active yet in ``setUpTestData``)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lms.accounts import two_factor

    client.force_login(user)
    if two_factor.requires_second_factor(user):
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="pruebas", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def right_answer(block) -> list[str]:
    """The right answer of a question block (bound, from a page's questions), as the quiz
    form would send it: its type's ``example_answer``."""
    return block.block.example_answer(block.value)


def right_answers(assessment) -> dict[str, list[str]]:
    """Every question of ``assessment`` answered right, by block id."""
    return {block.id: right_answer(block) for block in assessment.questions}


def post_answers(client, assessment, answers: dict[str, list[str]]):
    """Send ``answers`` (by block id) through the assessment's form."""
    data = {f"q-{k}": v for k, v in answers.items()}
    return client.post(f"/evaluaciones/{assessment.pk}/enviar/", data)


ROOT = Path(__file__).resolve().parent.parent
# Aula's variables (and the tests' own), cleared from the environment of ``run_django``.
CLEARED = (
    "DJANGO_",
    "DATABASE_URL",
    "DB_",
    "CELERY_",
    "EMAIL_",
    "AWS_",
    "AULA_",
    "CACHE_URL",
    "TEST_",
)


def run_django(
    code: str, settings: str = "lms.settings.base", **env
) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` in a fresh process with only ``env`` set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    environment.update(DJANGO_SETTINGS_MODULE=settings, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_shipped_course(tmp_path: Path, slug: str) -> Path:
    """A library folder under ``tmp_path`` holding a writable copy of a shipped course
    (Fracciones y porcentajes) under the new ``slug``, to change in a test. Returns the
    library folder."""
    import shutil

    from content.api import LIBRARY_ROOT

    target = tmp_path / "library"
    shutil.copytree(LIBRARY_ROOT / "fracciones-y-porcentajes", target / slug)
    edit_yaml(target / slug / "course.yaml", lambda data: data.update(slug=slug))
    return target


def edit_yaml(path: Path, change) -> None:
    """Apply ``change`` (a function that edits the loaded data in place) to a YAML file."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
