"""Statements built from Aula's records: what they say, that they never carry who the
learner is, and that the same record always gives the same statement id."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from lms.certificates import api as certificates_api
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from lms.xapi import api
from lms.xapi.models import Cursor, Source, Statement
from lms.xapi.statements import Page
from tests import helpers
from tests.conftest import lesson

MOMENT = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _lrs_configured(settings):
    settings.XAPI_LRS_URL = "http://127.0.0.1:9"  # collecting needs it on; nothing is sent
    settings.AULA_PUBLIC_URL = "https://aula.example.org"


@pytest.fixture
def learner(make_user, course):
    user = make_user(
        "rosa.ibanez",
        display_name="Rosa Ibáñez Quintero",
        email="rosa.ibanez@example.org",
        phone="+1 312 555 0199",
    )
    enrollment_api.enroll(user=user, course=course)
    return user


def payloads(source=None):
    rows = Statement.objects.order_by("id")
    if source:
        rows = rows.filter(source=source)
    return [row.payload for row in rows]


class TestPrivacy:
    def test_no_statement_names_the_learner(self, learner, course):
        page = lesson("que-es-una-fraccion")
        progress_api.record_server_event(user=learner, verb="started", page_id=page.pk)
        progress_api.record_server_event(
            user=learner, verb="progressed", page_id=page.pk, result={"duration": 90}
        )
        enrollment = helpers.complete(learner, course)
        certificates_api.issue_certificate(enrollment_id=enrollment.pk)
        api.collect()
        sources = set(Statement.objects.values_list("source", flat=True))
        assert sources == {Source.EVENT, Source.COMPLETION, Source.CERTIFICATE}
        text = json.dumps(payloads(), ensure_ascii=False).lower()
        for personal in ("rosa", "ibáñez", "ibanez", "quintero", "example.org", "555 0199"):
            assert personal not in text.replace("aula.example.org", "")
        actors = {json.dumps(p["actor"], sort_keys=True) for p in payloads()}
        assert len(actors) == 1
        actor = payloads()[0]["actor"]
        assert set(actor) == {"objectType", "account"}
        assert actor["account"]["homePage"] == "https://aula.example.org/"
        assert actor["account"]["name"] == api.statements.pseudonym(learner.pk)
        assert str(learner.pk) != actor["account"]["name"]

    def test_the_pseudonym_depends_on_the_key(self, settings):
        settings.XAPI_ACTOR_KEY = "una-clave"
        first = api.statements.pseudonym(7)
        assert api.statements.pseudonym(7) == first
        assert api.statements.pseudonym(8) != first
        settings.XAPI_ACTOR_KEY = "otra-clave"
        assert api.statements.pseudonym(7) != first

    def test_a_certificate_statement_has_no_folio_nor_verification_address(self, learner, course):
        enrollment = helpers.complete(learner, course)
        certificate = certificates_api.issue_certificate(enrollment_id=enrollment.pk)
        api.collect()
        (earned,) = payloads(Source.CERTIFICATE)
        text = json.dumps(earned)
        assert certificate.folio not in text
        assert str(certificate.uuid) not in text
        assert earned["verb"]["id"] == "http://id.tincanapi.com/verb/earned"
        assert earned["object"]["id"] == (
            f"https://aula.example.org/xapi/activities/page/{course.pk}"
        )

    def test_free_fields_of_an_event_result_never_reach_the_lrs(self, learner):
        page = lesson("que-es-una-fraccion")
        progress_api.record_server_event(
            user=learner, verb="completed", page_id=page.pk, result={"nota": "Rosa, 555 0199"}
        )
        api.collect()
        (statement,) = payloads()
        assert statement["result"] == {"completion": True}


class TestShape:
    def test_an_event_statement(self, learner, course):
        page = lesson("que-es-una-fraccion")
        event_id = uuid.uuid4()
        progress_api.record_server_event(
            user=learner,
            verb="progressed",
            page_id=page.pk,
            result={"duration": 42.5},
            when=MOMENT,
            event_id=event_id,
        )
        api.collect()
        (statement,) = payloads()
        assert statement["id"] == str(
            uuid.uuid5(api.statements.NAMESPACE, f"event:{learner.pk}:{event_id}")
        )
        assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/progressed"
        assert statement["object"] == {
            "objectType": "Activity",
            "id": f"https://aula.example.org/xapi/activities/page/{page.pk}",
            "definition": {
                "name": {"es-MX": page.title},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        }
        assert statement["result"] == {"duration": "PT42.5S"}
        assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith(
            f"/page/{course.pk}"
        )
        assert statement["context"]["contextActivities"]["parent"][0]["definition"]["type"] == (
            "http://adlnet.gov/expapi/activities/course"
        )
        assert datetime.fromisoformat(statement["timestamp"]) == MOMENT

    @pytest.mark.parametrize(
        ("verb", "iri", "result"),
        [
            ("started", "attempted", None),
            ("completed", "completed", {"completion": True}),
            ("passed", "passed", {"success": True, "completion": True, "score": {"scaled": 0.85}}),
            ("failed", "failed", {"success": False, "completion": True, "score": {"scaled": 0.4}}),
        ],
    )
    def test_each_verb_is_its_adl_verb(self, verb, iri, result):
        score = {"passed": 85, "failed": 40}.get(verb)
        statement = api.statements.for_event(
            user_id=1,
            event_uuid=uuid.uuid4(),
            verb_name=verb,
            page=Page(10, "assessment", "Evaluación"),
            course=Page(2, "course", "Curso"),
            result={"score": score} if score is not None else {},
            moment=MOMENT,
        )
        assert statement["verb"]["id"] == f"http://adlnet.gov/expapi/verbs/{iri}"
        assert statement.get("result") == result

    @pytest.mark.parametrize("bad", ["mucho", None, -5, float("nan"), True, [1], 10**400])
    def test_a_nonsense_duration_or_score_is_left_out(self, bad):
        for verb, field in (("progressed", "duration"), ("passed", "score")):
            statement = api.statements.for_event(
                user_id=1,
                event_uuid=uuid.uuid4(),
                verb_name=verb,
                page=Page(10),
                course=Page(2),
                result={field: bad},
                moment=MOMENT,
            )
            assert "duration" not in statement.get("result", {})
            assert "score" not in statement.get("result", {})

    def test_a_deleted_page_is_a_bare_activity(self):
        statement = api.statements.for_event(
            user_id=1,
            event_uuid=uuid.uuid4(),
            verb_name="completed",
            page=Page(999_999),
            course=Page(2, "course", "Curso"),
            result={},
            moment=MOMENT,
        )
        assert statement["object"] == {
            "objectType": "Activity",
            "id": "https://aula.example.org/xapi/activities/page/999999",
        }

    def test_an_attempt_is_scored(self):
        attempt = uuid.uuid4()
        statement = api.statements.for_attempt(
            user_id=3,
            attempt_uuid=attempt,
            assessment=Page(10, "assessment", "Evaluación final"),
            course=None,
            score=Decimal("87.50"),
            passed=True,
            seconds=600,
            moment=MOMENT,
        )
        assert statement["id"] == str(uuid.uuid5(api.statements.NAMESPACE, f"attempt:{attempt}"))
        assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/scored"
        assert statement["result"] == {
            "score": {"scaled": 0.875, "raw": 87.5, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "duration": "PT600S",
        }
        assert "contextActivities" not in statement["context"]  # a diagnostic: no course

    def test_a_revocation_voids_the_earned_statement(self):
        certificate = uuid.uuid4()
        earned = api.statements.for_certificate(
            user_id=3, certificate_uuid=certificate, course=Page(2, "course", "C"), moment=MOMENT
        )
        voiding = api.statements.voiding_certificate(certificate_uuid=certificate, moment=MOMENT)
        assert voiding["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"
        assert voiding["object"] == {"objectType": "StatementRef", "id": earned["id"]}
        assert voiding["actor"]["account"]["name"] == "aula"


class TestDeterminism:
    def test_the_same_record_gives_the_same_statement(self, learner):
        page = lesson("que-es-una-fraccion")
        progress_api.record_server_event(user=learner, verb="completed", page_id=page.pk)
        api.collect()
        (first,) = Statement.objects.all()
        Statement.objects.all().delete()
        Cursor.objects.all().delete()
        api.collect()
        (again,) = Statement.objects.all()
        assert again.statement_id == first.statement_id
        assert again.payload == first.payload

    def test_the_same_event_uuid_of_two_learners_is_two_statements(
        self, learner, make_user, course
    ):
        other = make_user("otra")
        enrollment_api.enroll(user=other, course=course)
        page = lesson("que-es-una-fraccion")
        shared = uuid.uuid4()
        for user in (learner, other):
            progress_api.record_server_event(
                user=user, verb="completed", page_id=page.pk, event_id=shared
            )
        api.collect()
        assert Statement.objects.values("statement_id").distinct().count() == 2

    def test_collecting_again_adds_nothing(self, learner, course):
        helpers.complete(learner, course)
        made = api.collect()
        assert made == Statement.objects.count() > 0
        assert api.collect() == 0
        assert api.reconcile() == 0
        assert Statement.objects.count() == made
