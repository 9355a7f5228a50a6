import pytest

from accounts.tests.factories import UserFactory
from ongs.models import Ong
from ongs.tests.factories import OngFactory

pytestmark = pytest.mark.django_db

ONGS = "/api/v1/ongs"
VALID_CNPJ = "11.222.333/0001-81"


def test_public_list_shows_active_ngos_to_anonymous_visitors(api_client, ong):
    OngFactory(name="Closed NGO", is_active=False)

    response = api_client.get(ONGS)

    assert response.status_code == 200
    assert response.data["count"] == 1
    assert response.data["results"][0] == {
        "id": ong.pk,
        "name": "Cola&Bora",
        "description": "Helping people.",
        "cause": "social",
        "email": ong.email,
        "phone": "",
        "address": "",
        "cnpj": "",
        "owner": {"id": ong.owner.pk, "name": "Olga Owner", "email": None},
        "is_active": True,
        "created_at": ong.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": ong.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_list_costs_fixed_queries_whatever_the_page_size(
    user_client, django_assert_max_num_queries
):
    OngFactory.create_batch(30)

    with django_assert_max_num_queries(3):  # session user, count, page with owners
        response = user_client.get(ONGS, {"page_size": 100})

    assert response.data["count"] == 30
    assert len(response.data["results"]) == 30


def test_list_filters_by_cause_searches_by_name_and_orders(api_client):
    OngFactory(name="Bichos Felizes", cause=Ong.Cause.ANIMALS)
    OngFactory(name="Aulas para Todos", cause=Ong.Cause.EDUCATION)
    OngFactory(name="Amigos dos Bichos", cause=Ong.Cause.ANIMALS)

    by_cause = api_client.get(ONGS, {"cause": "animals", "ordering": "-name"})
    by_name = api_client.get(ONGS, {"search": "aulas"})

    assert [row["name"] for row in by_cause.data["results"]] == [
        "Bichos Felizes",
        "Amigos dos Bichos",
    ]
    assert [row["name"] for row in by_name.data["results"]] == ["Aulas para Todos"]


def test_owner_and_admins_see_their_inactive_ngo_others_get_404(client_for, owner, ong):
    admin, stranger = UserFactory(), UserFactory()
    ong.admins.add(admin)
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    assert client_for(owner).get(f"{ONGS}/{ong.pk}").status_code == 200
    assert client_for(admin).get(f"{ONGS}/{ong.pk}").status_code == 200
    assert client_for(stranger).get(f"{ONGS}/{ong.pk}").status_code == 404
    assert client_for(stranger).get(ONGS).data["count"] == 0


def test_staff_see_inactive_ngos(staff_client, ong):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    assert staff_client.get(f"{ONGS}/{ong.pk}").status_code == 200


def test_any_logged_in_person_registers_an_ngo_and_owns_it(user_client, user):
    admin = UserFactory(email="helper@example.com")

    response = user_client.post(
        ONGS,
        {
            "name": "Sopão Solidário",
            "cause": "social",
            "email": "contato@sopao.org",
            "cnpj": VALID_CNPJ,
            "admin_emails": ["HELPER@example.com"],
        },
    )

    assert response.status_code == 201
    ong = Ong.objects.get()
    assert (ong.owner, ong.is_active, ong.cnpj) == (user, True, "11222333000181")
    assert list(ong.admins.all()) == [admin]
    assert response.data["cnpj"] == VALID_CNPJ
    assert response.data["owner"] == {"id": user.pk, "name": user.name, "email": user.email}


def test_registering_refuses_owner_and_status_and_stores_nothing(user_client):
    someone = UserFactory()

    response = user_client.post(
        ONGS,
        {
            "name": "Sopão Solidário",
            "cause": "social",
            "email": "contato@sopao.org",
            "owner": someone.pk,
            "is_active": False,
        },
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "owner": ["This field cannot be set here."],
        "is_active": [
            "This field cannot be set here; deactivate the NGO with DELETE /api/v1/ongs/{id}"
        ],
    }
    assert not Ong.objects.exists()


def test_registering_needs_login(api_client):
    response = api_client.post(ONGS, {"name": "X", "cause": "social", "email": "x@x.org"})

    assert response.status_code == 401
    assert not Ong.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cnpj": "11.222.333/0001-80"}, "cnpj"),
        ({"cause": "astrology"}, "cause"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"admin_emails": ["nobody@example.com"]}, "admin_emails"),
    ],
)
def test_bad_input_is_400_and_stores_nothing(user_client, body, field):
    response = user_client.post(
        ONGS, {"name": "Sopão", "cause": "social", "email": "contato@sopao.org", **body}
    )

    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not Ong.objects.exists()


def test_cnpj_is_unique(user_client):
    OngFactory(cnpj="11222333000181")

    response = user_client.post(
        ONGS, {"name": "Twin", "cause": "social", "email": "t@t.org", "cnpj": VALID_CNPJ}
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"cnpj": ["An NGO with this CNPJ already exists."]}
    assert Ong.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("admin", 200), ("stranger", 403), ("staff", 200), ("anonymous", 401)],
)
def test_who_may_edit_a_visible_ngo(client_for, api_client, owner, ong, who, expected):
    admin = UserFactory()
    ong.admins.add(admin)
    people = {
        "owner": owner,
        "admin": admin,
        "stranger": UserFactory(),
        "staff": UserFactory(is_staff=True),
    }
    client = client_for(people[who]) if who in people else api_client

    response = client.patch(f"{ONGS}/{ong.pk}", {"phone": "+55 11 4000-0000"})

    assert response.status_code == expected
    ong.refresh_from_db()
    assert ong.phone == ("+55 11 4000-0000" if expected == 200 else "")


def test_patch_never_changes_owner_or_status(client_for, owner, ong):
    response = client_for(owner).patch(
        f"{ONGS}/{ong.pk}",
        {"name": "Cola & Bora", "owner": UserFactory().pk, "is_active": False, "balance": "9"},
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "owner": ["This field cannot be set here."],
        "is_active": [
            "This field cannot be set here; deactivate the NGO with DELETE /api/v1/ongs/{id}"
        ],
        "balance": [
            "This field cannot be set here; read it with GET /api/v1/ongs/{id}/balance; "
            "donations and withdrawals change it"
        ],
    }
    ong.refresh_from_db()
    assert (ong.name, ong.owner, ong.is_active) == ("Cola&Bora", owner, True)


def test_only_the_owner_changes_admins(client_for, owner, ong):
    admin, newcomer = UserFactory(), UserFactory()
    ong.admins.add(admin)

    by_admin = client_for(admin).patch(f"{ONGS}/{ong.pk}", {"admin_emails": [newcomer.email]})
    by_owner = client_for(owner).patch(f"{ONGS}/{ong.pk}", {"admin_emails": [newcomer.email]})

    assert by_admin.status_code == 403
    assert by_admin.data["code"] == "owner_only"
    assert by_owner.status_code == 200
    assert list(ong.admins.all()) == [newcomer]


def test_editing_an_inactive_ngo_of_someone_else_is_404(user_client, ong):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    assert user_client.patch(f"{ONGS}/{ong.pk}", {"phone": "1"}).status_code == 404


def test_delete_deactivates_and_hides_from_the_public(client_for, api_client, owner, ong):
    stranger_response = client_for(UserFactory()).delete(f"{ONGS}/{ong.pk}")
    response = client_for(owner).delete(f"{ONGS}/{ong.pk}")

    assert stranger_response.status_code == 403
    assert response.status_code == 204
    assert Ong.objects.get(pk=ong.pk).is_active is False
    assert api_client.get(f"{ONGS}/{ong.pk}").status_code == 404
    assert api_client.get(ONGS).data["count"] == 0


def test_unknown_id_is_404(user_client):
    assert user_client.get(f"{ONGS}/999999").status_code == 404


# --- the owner's e-mail is for the NGO's managers ---------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_email"),
    [("anonymous", False), ("stranger", False), ("owner", True), ("admin", True), ("staff", True)],
)
def test_owner_email_is_shown_only_to_the_ngos_managers(
    client_for, api_client, owner, ong, who, sees_email
):
    admin = UserFactory()
    ong.admins.add(admin)
    OngFactory()  # another NGO: its owner's e-mail stays hidden from this NGO's managers
    people = {
        "stranger": UserFactory(),
        "owner": owner,
        "admin": admin,
        "staff": UserFactory(is_staff=True),
    }
    client = client_for(people[who]) if who in people else api_client

    listed = {row["id"]: row["owner"] for row in client.get(ONGS).data["results"]}
    detail = client.get(f"{ONGS}/{ong.pk}").data["owner"]

    expected = {"id": owner.pk, "name": "Olga Owner", "email": owner.email if sees_email else None}
    assert listed[ong.pk] == expected
    assert detail == expected
    other = next(pk for pk in listed if pk != ong.pk)
    assert (listed[other]["email"] is not None) == (who == "staff")


def test_owner_email_needs_no_extra_query_for_a_logged_in_reader(
    client_for, django_assert_max_num_queries
):
    reader = UserFactory()
    OngFactory.create_batch(10)
    OngFactory.create_batch(10, admins=[reader])
    client = client_for(reader)

    with django_assert_max_num_queries(3):  # session user, count, page with owners
        response = client.get(ONGS, {"page_size": 100})

    emails = [row["owner"]["email"] for row in response.data["results"]]
    assert len(emails) == 20
    assert sum(email is not None for email in emails) == 10


def test_editing_answers_with_the_owner_email_for_the_manager(client_for, owner, ong):
    response = client_for(owner).patch(f"{ONGS}/{ong.pk}", {"phone": "1"})

    assert response.data["owner"]["email"] == owner.email


# --- unique e-mail, one active NGO per owner, causes --------------------------------------


def test_ngo_email_is_unique_whatever_its_case(user_client):
    OngFactory(email="contato@sopao.org")

    response = user_client.post(
        ONGS, {"name": "Twin", "cause": "social", "email": "Contato@SOPAO.org"}
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"email": ["An NGO with this e-mail already exists."]}
    assert Ong.objects.count() == 1


def test_patch_to_an_email_of_another_ngo_is_400_and_changes_nothing(client_for, owner, ong):
    OngFactory(email="taken@ngo.example")
    before = ong.email

    response = client_for(owner).patch(
        f"{ONGS}/{ong.pk}", {"name": "Renamed", "email": "TAKEN@ngo.example"}
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"email": ["An NGO with this e-mail already exists."]}
    ong.refresh_from_db()
    assert (ong.name, ong.email) == ("Cola&Bora", before)


def test_an_ngo_may_change_the_case_of_its_own_email(client_for, owner, ong):
    response = client_for(owner).patch(f"{ONGS}/{ong.pk}", {"email": ong.email.upper()})

    assert response.status_code == 200
    ong.refresh_from_db()
    assert ong.email == response.data["email"]


def test_database_refuses_two_ngos_with_one_email():
    from django.db import IntegrityError, transaction

    OngFactory(email="one@ngo.example")

    with pytest.raises(IntegrityError), transaction.atomic():
        OngFactory(email="ONE@ngo.example")


def test_an_ngo_that_shared_its_email_before_keeps_it_until_it_changes(client_for):
    # given two NGOs from before e-mails were unique (migration 0004 flagged the younger)
    older = OngFactory(email="shared@ngo.example")
    younger = OngFactory(email="SHARED@ngo.example", shares_legacy_email=True)
    client = client_for(younger.owner)

    # when it sends its e-mail back unchanged, then changes it
    unchanged = client.patch(f"{ONGS}/{younger.pk}", {"email": "SHARED@ngo.example"})
    changed = client.patch(f"{ONGS}/{younger.pk}", {"email": "own@ngo.example"})
    back = client.patch(f"{ONGS}/{younger.pk}", {"email": older.email})

    # then: kept, changed (and no longer exempt), and the shared address is not free again
    assert unchanged.status_code == 200
    assert changed.status_code == 200
    assert back.status_code == 400
    younger.refresh_from_db()
    assert (younger.email, younger.shares_legacy_email) == ("own@ngo.example", False)


def test_a_person_owns_one_active_ngo(user_client, user):
    first = OngFactory(owner=user, name="Primeira")

    response = user_client.post(
        ONGS, {"name": "Segunda", "cause": "social", "email": "segunda@ngo.example"}
    )

    assert response.status_code == 409
    assert response.data == {
        "detail": "You already own an active NGO; a person owns one at a time.",
        "code": "already_owns_ngo",
        "ong": {"id": first.pk, "name": "Primeira"},
    }
    assert Ong.objects.count() == 1


def test_after_deactivating_their_ngo_a_person_registers_another(user_client, user):
    OngFactory(owner=user, is_active=False)
    OngFactory(admins=[user])  # administering another NGO does not count

    response = user_client.post(
        ONGS, {"name": "Nova", "cause": "social", "email": "nova@ngo.example"}
    )

    assert response.status_code == 201
    assert Ong.objects.filter(owner=user).count() == 2


@pytest.mark.parametrize(("cause", "label"), [("housing", "habitação"), ("research", "pesquisa")])
def test_the_seeds_causes_are_accepted(user_client, cause, label):
    from django.utils import translation

    response = user_client.post(ONGS, {"name": "N", "cause": cause, "email": "n@ngo.example"})

    assert response.status_code == 201
    assert Ong.objects.get().cause == cause
    with translation.override("pt-br"):
        assert str(Ong.Cause(cause).label) == label
