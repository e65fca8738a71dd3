import pytest

from courses import api
from courses.models import Framework, Module


@pytest.fixture
def mevyt(db):
    return Framework.objects.get(key="mevyt")


def _modules(mevyt, **filters):
    return list(mevyt.modules.filter(**filters))


def test_mevyt_data_is_loaded(mevyt):
    assert [lv.key for lv in mevyt.levels.all()] == ["inicial", "intermedio", "avanzado"]
    assert mevyt.modules.filter(kind="basico", level__key="inicial").count() == 3
    assert mevyt.modules.filter(kind="basico", level__key="intermedio").count() == 7
    assert mevyt.modules.filter(kind="basico", level__key="avanzado").count() == 8
    assert mevyt.modules.get(key="B3MFP").name == "Fracciones y porcentajes"
    assert mevyt.modules.get(key="B3MFP").eje.key == "matematicas"


def test_loading_again_updates_without_duplicating(mevyt):
    module = mevyt.modules.get(key="B3MFP")
    module.name = "Nombre editado"
    module.save()
    count = Module.objects.count()
    api.load_curriculum()
    assert Module.objects.count() == count
    module.refresh_from_db()
    assert module.name == "Fracciones y porcentajes"


def test_loading_if_missing_keeps_admin_edits(mevyt):
    module = mevyt.modules.get(key="B3MFP")
    module.name = "Editado en el admin"
    module.save()
    api.load_curriculum(update=False)
    module.refresh_from_db()
    assert module.name == "Editado en el admin"


def test_primaria_rule(mevyt):
    rule = mevyt.credential_rules.get(key="primaria")
    basicos = _modules(mevyt, kind="basico", level__key__in=["inicial", "intermedio"])
    diversificados = _modules(mevyt, kind="diversificado")
    progress = api.credential_progress(rule=rule, modules=basicos + diversificados[:2])
    assert progress.complete
    assert (progress.done, progress.total) == (12, 12)

    partial = api.credential_progress(rule=rule, modules=basicos[:4] + diversificados[:1])
    assert not partial.complete
    assert [r.missing for r in partial.requirements] == [6, 1]


def test_modules_of_the_wrong_level_do_not_count(mevyt):
    rule = mevyt.credential_rules.get(key="primaria")
    avanzado = _modules(mevyt, kind="basico", level__key="avanzado")
    progress = api.credential_progress(rule=rule, modules=avanzado)
    assert progress.done == 0


def test_a_module_counts_once(mevyt):
    rule = mevyt.credential_rules.get(key="secundaria")
    module = mevyt.modules.get(key="B3MFP")
    progress = api.credential_progress(rule=rule, modules=[module, module, module])
    assert progress.done == 1


def test_module_level_must_belong_to_its_framework(mevyt):
    other = Framework.objects.create(key="otro", name="Otro marco")
    foreign_level = other.levels.create(key="x", name="X")
    module = mevyt.modules.get(key="B3MFP")
    module.level = foreign_level
    with pytest.raises(Exception, match="otro marco"):
        module.full_clean()


def test_credential_requirement_count_must_be_positive(mevyt):
    from django.db import IntegrityError, transaction

    rule = mevyt.credential_rules.get(key="primaria")
    with pytest.raises(IntegrityError), transaction.atomic():
        rule.requirements.create(kind="basico", count=0)
