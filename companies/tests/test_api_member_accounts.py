"""A company admin sets its people's profile (name, position, phone, birth date) and turns
their accounts off, for the accounts the company alone manages."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from companies.models import Company, Membership
from companies.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role


def members_url(tenant, user_id=None, action=None):
    url = f"/api/v1/companies/{tenant.company.id}/members"
    if user_id:
        url += f"/{user_id}"
    return f"{url}/{action}" if action else url


def _profile(user) -> tuple:
    user.refresh_from_db()
    return (user.name, user.position, user.phone, user.birth_date and str(user.birth_date))


# --- profile when adding ----------------------------------------------------------------------


def test_admin_creates_an_account_with_position_and_birth_date(client_for, tenant):
    response = client_for(tenant.admin).post(
        members_url(tenant),
        {
            "email": "nova@example.com",
            "role": "agent",
            "name": "Nova Técnica",
            "password": "a-long-unusual-passphrase",
            "position": "Técnica de campo",
            "phone": "+55 11 98888-0000",
            "birth_date": "31/12/1990",
        },
    )

    assert response.status_code == 201, response.data
    person = User.objects.get(email="nova@example.com")
    assert response.data["user"] == {
        "id": person.id,
        "name": "Nova Técnica",
        "email": "nova@example.com",
        "position": "Técnica de campo",
        "phone": "+55 11 98888-0000",
        "birth_date": "1990-12-31",
        "photo": None,
        "is_active": True,
    }
    assert _profile(person) == (
        "Nova Técnica",
        "Técnica de campo",
        "+55 11 98888-0000",
        "1990-12-31",
    )


def test_adding_an_account_of_no_company_sets_its_profile(client_for, tenant):
    person = UserFactory(name="Old Name")

    response = client_for(tenant.admin).post(
        members_url(tenant),
        {"email": person.email, "role": "requester", "position": "Analista"},
    )

    assert response.status_code == 201
    assert _profile(person) == ("Old Name", "Analista", "", None)


def test_adding_someone_of_another_company_with_a_profile_is_409_and_adds_nothing(
    client_for, tenant, other_tenant
):
    person = other_tenant.agent
    before = _profile(person)

    response = client_for(tenant.admin).post(
        members_url(tenant), {"email": person.email, "role": "agent", "position": "Chefe"}
    )
    same_values = client_for(tenant.admin).post(
        members_url(tenant), {"email": person.email, "role": "agent", "name": person.name}
    )

    assert (response.status_code, response.data["code"]) == (409, "account_shared")
    assert _profile(person) == before
    # values equal to the stored ones change nothing, so they are not refused
    assert same_values.status_code == 201
    assert Membership.objects.filter(user=person, company=tenant.company).count() == 1


def test_a_bad_birth_date_is_400_and_creates_nothing(client_for, tenant):
    response = client_for(tenant.admin).post(
        members_url(tenant),
        {
            "email": "nova@example.com",
            "role": "agent",
            "name": "Nova",
            "password": "a-long-unusual-passphrase",
            "birth_date": "31/02/1990",
        },
    )

    assert response.status_code == 400
    assert set(response.data["errors"]) == {"birth_date"}
    assert not User.objects.filter(email="nova@example.com").exists()


# --- profile later ----------------------------------------------------------------------------


def test_admin_edits_a_members_profile_and_role_at_once(client_for, tenant):
    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.requester.id),
        {
            "name": "Renamed",
            "position": "Gerente",
            "phone": "11 5555-0000",
            "birth_date": "01/02/1985",
            "role": "agent",
        },
    )

    assert response.status_code == 200, response.data
    assert response.data["role"] == "agent"
    assert response.data["user"]["birth_date"] == "1985-02-01"
    assert _profile(tenant.requester) == ("Renamed", "Gerente", "11 5555-0000", "1985-02-01")
    assert Membership.objects.get(user=tenant.requester, company=tenant.company).role == "agent"


def test_members_list_shows_position_and_birth_date(client_for, tenant):
    User.objects.filter(pk=tenant.agent.pk).update(position="Técnico", birth_date="1990-05-04")

    response = client_for(tenant.admin).get(members_url(tenant))

    row = next(r for r in response.data["results"] if r["user"]["id"] == tenant.agent.id)
    assert (row["user"]["position"], row["user"]["birth_date"]) == ("Técnico", "1990-05-04")


def test_the_profile_of_someone_in_another_company_is_409_and_nothing_changes(
    client_for, tenant, other_tenant
):
    MembershipFactory(user=tenant.agent, company=other_tenant.company, role=Role.AGENT)
    before = _profile(tenant.agent)

    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.agent.id), {"position": "Chefe", "role": "admin"}
    )

    assert (response.status_code, response.data["code"]) == (409, "account_shared")
    assert _profile(tenant.agent) == before
    assert Membership.objects.get(user=tenant.agent, company=tenant.company).role == Role.AGENT
    # the role alone is the company's to change
    role_only = client_for(tenant.admin).patch(
        members_url(tenant, tenant.agent.id), {"role": "admin"}
    )
    assert role_only.status_code == 200


def test_the_profile_of_a_staff_member_is_409(client_for, tenant):
    staff = MembershipFactory(company=tenant.company, user__is_staff=True).user

    response = client_for(tenant.admin).patch(members_url(tenant, staff.id), {"name": "X"})

    assert (response.status_code, response.data["code"]) == (409, "account_is_staff")
    assert User.objects.get(pk=staff.pk).name != "X"


def test_an_admin_who_also_belongs_elsewhere_edits_their_own_profile(
    client_for, tenant, other_tenant
):
    MembershipFactory(user=tenant.admin, company=other_tenant.company)

    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.admin.id), {"position": "Diretora"}
    )

    assert response.status_code == 200
    assert _profile(tenant.admin)[1] == "Diretora"


@pytest.mark.parametrize(
    "field, value, hint",
    [
        ("is_active", False, "/members/{user_id}/deactivate"),
        ("password", "a-long-unusual-passphrase", "POST /api/v1/users/me/password"),
        ("email", "new@example.com", "PATCH /api/v1/users/me"),
        ("photo", "x", "PUT /api/v1/users/me/photo"),
    ],
)
def test_fields_the_admin_cannot_set_point_elsewhere(client_for, tenant, field, value, hint):
    before = _profile(tenant.requester)

    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.requester.id), {"name": "Renamed", field: value}
    )

    assert response.status_code == 400
    assert list(response.data["errors"]) == [field]
    assert hint in response.data["errors"][field][0]
    stored = User.objects.get(pk=tenant.requester.pk)
    assert (stored.is_active, stored.email) == (True, tenant.requester.email)
    assert stored.check_password(PASSWORD)
    assert _profile(tenant.requester) == before


def test_agents_cannot_edit_profiles_and_other_companies_are_404(client_for, tenant, other_tenant):
    agent = client_for(tenant.agent).patch(
        members_url(tenant, tenant.requester.id), {"position": "X"}
    )
    outsider = client_for(tenant.admin).patch(
        members_url(other_tenant, other_tenant.requester.id), {"position": "X"}
    )
    not_a_member = client_for(tenant.admin).patch(
        members_url(tenant, other_tenant.requester.id), {"position": "X"}
    )

    assert (agent.status_code, outsider.status_code, not_a_member.status_code) == (403, 404, 404)
    assert not User.objects.filter(position="X").exists()


# --- deactivation -----------------------------------------------------------------------------


def test_admin_deactivates_a_member_of_only_this_company(api_client, client_for, tenant):
    session = api_client.post(
        "/api/v1/auth/login", {"email": tenant.requester.email, "password": PASSWORD}
    ).data

    response = client_for(tenant.admin).post(members_url(tenant, tenant.requester.id, "deactivate"))

    assert response.status_code == 200
    assert response.data["user"]["is_active"] is False
    stored = User.objects.get(pk=tenant.requester.pk)
    assert (stored.is_active, stored.deactivated_by_owner) == (False, False)
    assert OutstandingToken.objects.filter(user=stored, blacklistedtoken__isnull=True).count() == 0
    me = api_client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    assert me.status_code == 401
    again = api_client.post("/api/v1/auth/login", {"email": stored.email, "password": PASSWORD})
    assert (again.status_code, again.data["code"]) == (401, "account_disabled")
    # the membership stays, shown inactive; deactivating again changes nothing
    assert Membership.objects.filter(user=stored, company=tenant.company).exists()
    repeat = client_for(tenant.admin).post(members_url(tenant, tenant.requester.id, "deactivate"))
    assert repeat.status_code == 200
    assert User.objects.get(pk=stored.pk).session_version == stored.session_version


def test_deactivating_someone_of_another_company_too_is_409(client_for, tenant, other_tenant):
    MembershipFactory(user=tenant.agent, company=other_tenant.company, role=Role.AGENT)

    response = client_for(tenant.admin).post(members_url(tenant, tenant.agent.id, "deactivate"))

    assert (response.status_code, response.data["code"]) == (409, "account_shared")
    assert User.objects.get(pk=tenant.agent.pk).is_active


def test_deactivating_staff_or_oneself_is_409(client_for, tenant):
    staff = MembershipFactory(company=tenant.company, user__is_staff=True).user
    client = client_for(tenant.admin)

    staff_answer = client.post(members_url(tenant, staff.id, "deactivate"))
    self_answer = client.post(members_url(tenant, tenant.admin.id, "deactivate"))

    assert (staff_answer.status_code, staff_answer.data["code"]) == (409, "account_is_staff")
    assert (self_answer.status_code, self_answer.data["code"]) == (409, "own_account")
    assert User.objects.filter(pk__in=[staff.pk, tenant.admin.pk], is_active=True).count() == 2


def test_who_may_deactivate_a_member(client_for, staff_client, tenant, other_tenant):
    url = members_url(tenant, tenant.requester.id, "deactivate")

    agent = client_for(tenant.agent).post(url)
    requester = client_for(tenant.requester).post(
        members_url(tenant, tenant.agent.id, "deactivate")
    )
    outsider = client_for(other_tenant.admin).post(url)
    not_a_member = client_for(tenant.admin).post(
        members_url(tenant, other_tenant.requester.id, "deactivate")
    )

    assert (agent.status_code, requester.status_code) == (403, 403)
    assert (outsider.status_code, not_a_member.status_code) == (404, 404)
    assert User.objects.filter(is_active=False).count() == 0
    assert staff_client.post(url).status_code == 200


def test_an_inactive_company_cannot_deactivate_its_people(client_for, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)

    response = client_for(tenant.admin).post(members_url(tenant, tenant.requester.id, "deactivate"))

    assert (response.status_code, response.data["code"]) == (403, "company_inactive")
    assert User.objects.get(pk=tenant.requester.pk).is_active


def test_member_list_query_budget_with_profiles(client_for, tenant, django_assert_max_num_queries):
    for _ in range(30):
        MembershipFactory(company=tenant.company, user__position="Técnico")

    client = client_for(tenant.admin)

    with django_assert_max_num_queries(5):
        response = client.get(members_url(tenant), {"page_size": 100})

    assert response.data["count"] == 34
    assert sum(row["user"]["position"] == "Técnico" for row in response.data["results"]) == 30
