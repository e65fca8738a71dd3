"""For the attempts made before item analysis: their item responses, from each attempt's
stored answers and results, in batches (the same rule as ``api.response_rows``, copied
here so later changes to the app never change what this migration did); their grupo (the
learner's most recent membership now: when they answered is not known); and the running
tallies, recounted from both (``tallies.rebuild_tallies``; skipped when there is no
attempt, as in a new installation). The recount is the app's own SQL: should the tally
tables change in a later migration, copy the SQL of this version here."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

BATCH = 2000
_OPTION_KINDS = ("single_choice", "multiple_choice", "true_false")


def rows_for(answers, results):
    """Item-response rows (block, option, first, answered, correct) of one attempt."""
    rows = []
    for block_id, result in (results or {}).items():
        if not isinstance(result, dict):
            continue
        given = [
            str(g) for g in (answers or {}).get(block_id) or [] if g is not None and str(g).strip()
        ]
        kind = result.get("kind")
        if kind == "true_false":
            options = [g for g in given[:1] if g in ("true", "false")]
        elif kind in _OPTION_KINDS:
            options = list(dict.fromkeys(g for g in given if len(g) <= 64))[:10]
        else:
            options = []
        base = {
            "block_id": str(block_id)[:64],
            "answered": bool(result.get("answered", bool(given))),
            "correct": bool(result.get("correct")),
        }
        for index, option in enumerate(options or [""]):
            rows.append({**base, "option_id": option, "first": index == 0})
    return rows


def backfill(apps, schema_editor):
    Attempt = apps.get_model("assessments", "Attempt")
    ItemResponse = apps.get_model("assessments", "ItemResponse")
    alias = schema_editor.connection.alias
    last = 0
    while True:
        batch = list(
            Attempt.objects.using(alias)
            .filter(pk__gt=last, responses__isnull=True)
            .order_by("pk")
            .values("pk", "user_id", "assessment_id", "score", "answers", "results")[:BATCH]
        )
        if not batch:
            break
        ItemResponse.objects.using(alias).bulk_create(
            ItemResponse(
                attempt_id=attempt["pk"],
                user_id=attempt["user_id"],
                assessment_id=attempt["assessment_id"],
                score=float(attempt["score"]),
                **row,
            )
            for attempt in batch
            for row in rows_for(attempt["answers"], attempt["results"])
        )
        last = batch[-1]["pk"]
    if not Attempt.objects.using(alias).exists():
        return
    Membership = apps.get_model("enrollment", "Membership")
    latest = Membership.objects.using(alias).filter(user_id=OuterRef("user_id"))
    Attempt.objects.using(alias).filter(grupo_id=0).update(
        grupo_id=Coalesce(
            Subquery(latest.order_by("-joined_at", "-pk").values("grupo_id")[:1]), 0
        )
    )
    from lms.assessments.tallies import rebuild_tallies

    rebuild_tallies(using=alias)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_item_responses"),
        ("enrollment", "0008_sede_on_certificates"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
