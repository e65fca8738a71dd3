"""Usernames that could pass for another one are refused (mixed alphabets, digits other
than 0-9, look-alikes of an existing account), while ñ, accents, digits 0-9 and phone
numbers keep working. The same rule holds at sign-up, in the admin and in bulk enrollment
(tests/enrollment/test_bulk_validate.py)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from lms.accounts import api, roles, validators
from lms.accounts.models import User
from lms.accounts.validators import (
    username_skeleton,
    validate_learner_username,
    validate_unambiguous_username,
)

from .conftest import errors_of, is_logged_in

OTHER_DIGITS = (
    "Use solo los números del 0 al 9. Este nombre tiene números de otro tipo o de otro "
    "idioma; bórrelos y escríbalos de nuevo con su teclado."
)
MIXED_SCRIPTS = (
    "Use letras de un solo alfabeto. Este nombre mezcla letras de alfabetos distintos que se "
    "ven iguales (por ejemplo, una «а» rusa entre letras latinas); bórrelo y escríbalo de "
    "nuevo con su teclado."
)
LOOKALIKE = (
    "Ese nombre de usuario se parece demasiado a otro que ya existe y se podrían confundir. "
    "Elija otro; por ejemplo, agréguele un número o su apellido."
)
TAKEN = (
    "Ese nombre de usuario ya lo usa otra persona. Pruebe con otro; por ejemplo, agréguele un "
    "número."
)
PASSWORD = "luna-verde-en-casa"

CYRILLIC_A = "\u0430"  # а
GREEK_OMICRON = "\u03bf"  # ο

MIXED = [
    pytest.param(f"p{CYRILLIC_A}blo", id="latin-with-cyrillic-a"),
    pytest.param(f"j{GREEK_OMICRON}se", id="latin-with-greek-omicron"),
    pytest.param(f"{CYRILLIC_A}dmin", id="cyrillic-a-in-admin"),
    pytest.param(f"maria.l{GREEK_OMICRON}pez_2", id="greek-in-a-dotted-name"),
]
DIGITS = [
    pytest.param("juan\u0663", id="arabic-indic-3"),
    pytest.param("juan\u06f5", id="extended-arabic-indic-5"),
    pytest.param("juan\uff13", id="fullwidth-3-before-nfkc"),
    pytest.param("ana\u00b2", id="superscript-2"),
    pytest.param("ana\u2460", id="circled-1"),
    pytest.param("ana\U0001d7d1", id="mathematical-bold-9"),
    pytest.param("+\u0661\u0662\u0661\u0663\u0665\u0665\u0665\u0660\u0661\u0660\u0661", id="phone"),
]
GOOD = [
    "José",
    "peña",
    "Núñez",
    "ÑOÑO",
    "n\u0303andú",  # ñ typed as n + combining tilde
    "maria.lopez_2",
    "+12135550101",
    "(213) 555-0101",
    "иван",  # a name wholly in Cyrillic
    "山田はなこ",  # kanji with hiragana: one writing system
    "김민준",
]


class TestCharacters:
    @pytest.mark.parametrize("typed", MIXED)
    def test_mixed_alphabets_are_refused(self, typed):
        validate_learner_username(validators.normalise_username(typed))  # the old rule let it in
        with pytest.raises(ValidationError) as caught:
            validate_unambiguous_username(typed)
        assert caught.value.messages == [MIXED_SCRIPTS]
        assert caught.value.error_list[0].code == "username_mixed_scripts"

    @pytest.mark.parametrize("typed", DIGITS)
    def test_digits_other_than_0_to_9_are_refused(self, typed):
        validate_learner_username(validators.normalise_username(typed))  # the old rule let it in
        with pytest.raises(ValidationError) as caught:
            validate_unambiguous_username(typed)
        assert caught.value.messages == [OTHER_DIGITS]
        assert caught.value.error_list[0].code == "username_other_digits"

    def test_both_problems_are_named_at_once(self):
        with pytest.raises(ValidationError) as caught:
            validate_unambiguous_username(f"p{CYRILLIC_A}blo\u0663")
        assert caught.value.messages == [OTHER_DIGITS, MIXED_SCRIPTS]

    @pytest.mark.parametrize("typed", GOOD)
    def test_accents_enie_digits_phones_and_other_alphabets_are_fine(self, typed):
        validate_learner_username(validators.normalise_username(typed))
        validate_unambiguous_username(typed)

    @pytest.mark.parametrize("typed", [*MIXED, *DIGITS])
    def test_sign_up_refuses_them_and_creates_nothing(self, client, db, typed):
        response = client.post(
            "/cuenta/registro/",
            {"username": typed, "password": PASSWORD, "password_confirm": PASSWORD},
        )
        assert response.status_code == 200
        assert errors_of(response, "username") in ([MIXED_SCRIPTS], [OTHER_DIGITS])
        assert not User.objects.exists()
        assert not is_logged_in(client)

    @pytest.mark.parametrize("typed", GOOD)
    def test_sign_up_accepts_them(self, db, typed):
        user = api.register_learner(username=typed, password=PASSWORD)
        assert user.username == validators.normalise_username(typed)
        assert user.username_skeleton == username_skeleton(user.username)


class TestSkeleton:
    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("admin", "adrnin"),  # rn → m
            ("rosa", "r0sa"),  # 0 → O → o
            ("lvan", "Ivan"),  # capital I → l
            ("lvan", "1van"),  # 1 → l
            ("pepe", "рере"),  # wholly Cyrillic
            ("admin", f"{CYRILLIC_A}dmin"),
            ("jose", "ｊｏｓｅ"),  # fullwidth letters (NFKC)
        ],
    )
    def test_look_alikes_share_one(self, one, other):
        assert one != other
        assert username_skeleton(one) == username_skeleton(other)

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("josé", "jose"),
            ("peña", "pena"),
            ("admín", "admin"),
            ("núñez", "nunez"),
            ("maria.lopez_2", "maria.lopez_3"),
            ("+12135550101", "+12135550102"),
        ],
    )
    def test_accents_and_other_digits_make_other_names(self, one, other):
        assert username_skeleton(one) != username_skeleton(other)

    def test_accents_stay_as_combining_marks(self):
        assert username_skeleton("José") == "jose\u0301"
        assert username_skeleton("Peña") == "pen\u0303a"

    def test_it_settles_for_every_character_of_the_table(self):
        """The rounds of mapping and case folding end before their limit: a skeleton is its
        own skeleton."""
        table = validators._prototypes()
        assert len(table) > 6000
        for char in table:
            skeleton = username_skeleton(char)
            assert username_skeleton(skeleton) == skeleton, hex(ord(char))

    def test_the_table_is_unicodes(self):
        head = validators.CONFUSABLES_FILE.read_text(encoding="utf-8-sig")[:400]
        assert "Unicode Security Mechanisms for UTS #39" in head and "# Version: " in head
        table = validators._prototypes()
        assert table[CYRILLIC_A] == "a"
        assert (table["0"], table["1"], table["I"], table["m"]) == ("O", "l", "l", "rn")


class TestLookAlikesOfExistingAccounts:
    @pytest.fixture
    def admin(self, make_user):
        return make_user("admin", roles.ADMINISTRADOR)

    @pytest.mark.parametrize("typed", ["adrnin", "Adrnin", " adrnin "])
    def test_are_refused(self, admin, typed):
        with pytest.raises(ValidationError) as caught:
            api.register_learner(username=typed, password=PASSWORD)
        assert caught.value.message_dict == {"username": [LOOKALIKE]}
        assert caught.value.error_dict["username"][0].code == "username_lookalike"
        assert list(User.objects.values_list("username", flat=True)) == ["admin"]

    def test_the_same_name_in_capitals_is_taken_not_a_look_alike(self, admin):
        with pytest.raises(ValidationError) as caught:
            api.validate_registration(username="ADMIN", password=PASSWORD)
        assert caught.value.message_dict == {"username": [TAKEN]}

    def test_a_cyrillic_letter_is_a_mixed_alphabet(self, admin):
        with pytest.raises(ValidationError) as caught:
            api.validate_registration(username=f"{CYRILLIC_A}dmin", password=PASSWORD)
        assert caught.value.message_dict == {"username": [MIXED_SCRIPTS]}

    @pytest.mark.parametrize(
        ("existing", "typed"),
        [
            ("pepe", "рере"),  # wholly Cyrillic: one alphabet, but it looks like "pepe"
            ("rosa", "r0sa"),
            ("Ivan", "lvan"),
            ("lvan", "Ivan"),
            ("maria1", "marial"),
            ("2135550101", "2l3555Ol0l"),
        ],
    )
    def test_in_one_alphabet_or_with_digits(self, make_user, existing, typed):
        make_user(existing)
        with pytest.raises(ValidationError) as caught:
            api.validate_registration(username=typed, password=None)
        assert caught.value.message_dict == {"username": [LOOKALIKE]}

    @pytest.mark.parametrize("typed", ["admín", "ádmin", "admin2", "adm"])
    def test_accented_names_are_other_names(self, admin, typed):
        """An accent is part of a Spanish name: "José" and "Jose" may well be two people, so
        "admín" is a name of its own, as "peña" is not "pena"."""
        user = api.register_learner(username=typed, password=PASSWORD)
        assert user.pk

    def test_jose_and_josé_can_both_sign_up(self, db):
        api.register_learner(username="jose", password=PASSWORD)
        api.register_learner(username="josé", password=PASSWORD)
        assert User.objects.count() == 2

    def test_sign_up_page(self, client, admin):
        response = client.post(
            "/cuenta/registro/",
            {"username": "adrnin", "password": PASSWORD, "password_confirm": PASSWORD},
        )
        assert errors_of(response, "username") == [LOOKALIKE]
        assert not User.objects.filter(username="adrnin").exists()

    def test_checking_costs_one_query(self, admin, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert api.username_looks_taken(username="adrnin")
        with django_assert_num_queries(1):
            assert not api.username_looks_taken(username="admin")  # itself
        assert not api.username_looks_taken(username="adrnin", exclude_pk=admin.pk)

    def test_logging_in_is_unchanged(self, client, admin):
        assert api.get_user_by_username(username="adrnin") is None
        assert api.get_user_by_username(username="ADMIN") == admin
        client.post("/cuenta/entrar/", {"username": "adrnin", "password": "contraseña-de-prueba"})
        assert not is_logged_in(client)
        client.post("/cuenta/entrar/", {"username": "Admin", "password": "contraseña-de-prueba"})
        assert is_logged_in(client)


class TestStoredSkeleton:
    def test_every_way_of_making_an_account_stores_it(self, db, make_user):
        learner = api.register_learner(username=" R0sa ", password=None)
        made = make_user("Ivan")  # objects.create_user, as createsuperuser does
        for user in (learner, made):
            user.refresh_from_db()
        assert (learner.username, learner.username_skeleton) == ("R0sa", "rosa")
        assert made.username_skeleton == "lvan"

    def test_demo_accounts(self, db):
        api.ensure_demo_accounts()
        admin = User.objects.get(username="admin")
        assert admin.username_skeleton == "adrnin"
        assert api.username_looks_taken(username="adrnin")

    def test_the_migration_fills_accounts_made_before_it(self, make_user):
        migration = importlib.import_module("lms.accounts.migrations.0003_user_username_skeleton")
        for name in ("admin", "Ivan", "josé"):
            make_user(name)
        User.objects.update(username_skeleton="")
        assert not api.username_looks_taken(username="adrnin")

        migration.fill_username_skeletons(apps, SimpleNamespace(connection=connection))

        stored = dict(User.objects.values_list("username", "username_skeleton"))
        assert stored == {"admin": "adrnin", "Ivan": "lvan", "josé": "jose\u0301"}
        assert api.username_looks_taken(username="adrnin")
        assert api.username_looks_taken(username="lvan")
        assert not api.username_looks_taken(username="jose")


class TestAdminForms:
    ADD = reverse("wagtailusers_users:add")

    @pytest.fixture
    def admin_client(self, client, make_user):
        client.force_login(make_user("administra1", roles.ADMINISTRADOR))
        return client

    def _create(self, admin_client, username):
        group = api.ensure_roles()[roles.EDUCANDO]
        return admin_client.post(
            self.ADD,
            {
                "username": username,
                "email": "",
                "first_name": "",
                "last_name": "",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "groups": [group.pk],
            },
        )

    def _edit(self, admin_client, user, username):
        return admin_client.post(
            reverse("wagtailusers_users:edit", args=[user.pk]),
            {
                "username": username,
                "email": user.email,
                "first_name": "",
                "last_name": "",
                "display_name": "Nombre nuevo",
                "is_active": "on",
                "password1": "",
                "password2": "",
                "groups": list(user.groups.values_list("pk", flat=True)),
            },
        )

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("adrnin", LOOKALIKE),
            ("r0sa", LOOKALIKE),
            (f"p{CYRILLIC_A}blo", MIXED_SCRIPTS),
            ("juan\uff13", OTHER_DIGITS),
        ],
    )
    def test_create_refuses_confusable_names(self, admin_client, make_user, typed, message):
        make_user("admin")
        make_user("rosa")
        response = self._create(admin_client, typed)
        assert response.status_code == 200
        assert response.context["form"].errors["username"] == [message]
        assert User.objects.count() == 3

    def test_create_stores_the_skeleton(self, admin_client, make_user):
        make_user("admin")
        response = self._create(admin_client, "admín")
        assert response.status_code == 302, response.context["form"].errors
        assert User.objects.get(username="admín").username_skeleton == "adrni\u0301n"

    def test_the_same_name_in_capitals_gets_only_the_taken_message(self, admin_client, make_user):
        make_user("rosa")
        assert username_skeleton("ROSA") == username_skeleton("rosa")
        response = self._create(admin_client, "ROSA")
        assert response.status_code == 200
        errors = str(response.context["form"].errors)  # the constraint's, not the field's
        assert "ya lo usa otra persona" in errors and LOOKALIKE not in errors

    def test_edit_refuses_a_new_look_alike_and_updates_the_skeleton(self, admin_client, make_user):
        make_user("admin")
        person = make_user("rosa", roles.EDUCANDO)
        response = self._edit(admin_client, person, "adrnin")
        assert response.context["form"].errors["username"] == [LOOKALIKE]
        response = self._edit(admin_client, person, "R0sa")  # its own look-alike: fine
        assert response.status_code == 302, response.context["form"].errors
        response = self._edit(admin_client, person, "lvan")
        assert response.status_code == 302, response.context["form"].errors
        person.refresh_from_db()
        assert (person.username, person.username_skeleton) == ("lvan", "lvan")
        assert api.username_looks_taken(username="Ivan")

    def test_edit_keeps_an_older_username_that_looks_like_another(self, admin_client, make_user):
        make_user("admin")
        older = make_user("placeholder", roles.EDUCANDO)
        User.objects.filter(pk=older.pk).update(
            username="adrnin", username_skeleton=username_skeleton("adrnin")
        )
        older.refresh_from_db()
        response = self._edit(admin_client, older, "adrnin")
        assert response.status_code == 302, response.context["form"].errors
        older.refresh_from_db()
        assert older.display_name == "Nombre nuevo"
