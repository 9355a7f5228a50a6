import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from companies.models import Membership, Team
from companies.tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role


def members_url(tenant, user_id=None):
    base = f"/api/v1/companies/{tenant.company.id}/members"
    return f"{base}/{user_id}" if user_id else base


@pytest.mark.parametrize("role, expected", [("admin", 200), ("agent", 200), ("requester", 403)])
def test_who_lists_members(client_for, tenant, role, expected):
    response = client_for(getattr(tenant, role)).get(members_url(tenant))

    assert response.status_code == expected
    if expected == 200:
        assert response.data["count"] == 4


def test_members_of_another_company_are_404(client_for, tenant, other_tenant):
    client = client_for(tenant.admin)

    assert client.get(members_url(other_tenant)).status_code == 404
    assert (
        client.post(
            members_url(other_tenant), {"email": tenant.agent.email, "role": "admin"}
        ).status_code
        == 404
    )
    assert (
        client.patch(
            members_url(other_tenant, other_tenant.agent.id), {"role": "admin"}
        ).status_code
        == 404
    )
    assert client.delete(members_url(other_tenant, other_tenant.agent.id)).status_code == 404
    assert (
        Membership.objects.get(company=other_tenant.company, user=other_tenant.agent).role
        == Role.AGENT
    )


def test_admin_adds_an_existing_user_by_email(client_for, tenant):
    person = UserFactory(email="tech@example.com")

    response = client_for(tenant.admin).post(
        members_url(tenant), {"email": "TECH@example.com", "role": "agent"}
    )

    assert response.status_code == 201
    assert response.data["user"]["id"] == person.id
    assert Membership.objects.get(company=tenant.company, user=person).role == Role.AGENT


def test_admin_creates_an_account_for_a_new_person(client_for, tenant):
    response = client_for(tenant.admin).post(
        members_url(tenant),
        {
            "email": "new@example.com",
            "role": "requester",
            "name": "New",
            "password": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 201
    person = User.objects.get(email="new@example.com")
    assert person.check_password("a-long-unusual-passphrase")
    assert not person.is_staff


def test_unknown_email_without_name_is_400(client_for, tenant):
    response = client_for(tenant.admin).post(
        members_url(tenant), {"email": "ghost@example.com", "role": "agent"}
    )

    assert response.status_code == 400
    assert not User.objects.filter(email="ghost@example.com").exists()


def test_adding_a_member_twice_is_409(client_for, tenant):
    response = client_for(tenant.admin).post(
        members_url(tenant), {"email": tenant.agent.email, "role": "admin"}
    )

    assert response.status_code == 409
    assert Membership.objects.get(company=tenant.company, user=tenant.agent).role == Role.AGENT


def test_agents_cannot_manage_members(client_for, tenant):
    response = client_for(tenant.agent).patch(
        members_url(tenant, tenant.requester.id), {"role": "admin"}
    )

    assert response.status_code == 403
    assert (
        Membership.objects.get(company=tenant.company, user=tenant.requester).role == Role.REQUESTER
    )


def test_admin_changes_a_role(client_for, tenant):
    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.requester.id), {"role": "agent"}
    )

    assert response.status_code == 200
    assert Membership.objects.get(company=tenant.company, user=tenant.requester).role == Role.AGENT


def test_invalid_role_is_400(client_for, tenant):
    response = client_for(tenant.admin).patch(
        members_url(tenant, tenant.requester.id), {"role": "owner"}
    )

    assert response.status_code == 400


def test_the_last_admin_cannot_step_down_or_leave(client_for, tenant):
    client = client_for(tenant.admin)

    demote = client.patch(members_url(tenant, tenant.admin.id), {"role": "agent"})
    remove = client.delete(members_url(tenant, tenant.admin.id))

    assert demote.status_code == remove.status_code == 409
    assert demote.data["code"] == "last_admin"
    assert Membership.objects.get(company=tenant.company, user=tenant.admin).role == Role.ADMIN


def test_removing_a_member_takes_them_off_teams(client_for, tenant):
    response = client_for(tenant.admin).delete(members_url(tenant, tenant.lead.id))

    assert response.status_code == 204
    assert not Membership.objects.filter(company=tenant.company, user=tenant.lead).exists()
    tenant.team.refresh_from_db()
    assert tenant.team.lead is None
    assert list(tenant.team.agents.all()) == [tenant.agent]


def test_member_list_query_budget(client_for, tenant, django_assert_max_num_queries):
    MembershipFactory.create_batch(30, company=tenant.company)
    client = client_for(tenant.admin)

    with django_assert_max_num_queries(5):
        response = client.get(members_url(tenant), {"page_size": 100})

    assert response.data["count"] == 34


def teams_url(tenant):
    return f"/api/v1/companies/{tenant.company.id}/teams"


def test_admin_creates_a_team(client_for, tenant):
    response = client_for(tenant.admin).post(
        teams_url(tenant),
        {
            "name": "Financeiro",
            "lead": tenant.agent.id,
            "agents": [tenant.agent.id, tenant.lead.id],
        },
    )

    assert response.status_code == 201, response.data
    team = Team.objects.get(name="Financeiro")
    assert team.lead == tenant.agent
    assert set(team.agents.all()) == {tenant.agent, tenant.lead}


@pytest.mark.parametrize("field", ["lead", "agents"])
def test_team_people_must_be_the_companys_agents(client_for, tenant, other_tenant, field):
    for outsider in (other_tenant.agent.id, tenant.requester.id):
        value = [outsider] if field == "agents" else outsider
        response = client_for(tenant.admin).post(teams_url(tenant), {"name": "X", field: value})

        assert response.status_code == 400
        assert field in response.data["errors"]
    assert not Team.objects.filter(name="X").exists()


def test_team_names_are_unique_in_a_company(client_for, tenant):
    response = client_for(tenant.admin).post(teams_url(tenant), {"name": tenant.team.name.upper()})

    assert response.status_code == 400


def test_every_member_lists_teams_but_only_admins_create(client_for, tenant):
    assert client_for(tenant.requester).get(teams_url(tenant)).data["count"] == 1
    assert client_for(tenant.agent).post(teams_url(tenant), {"name": "Y"}).status_code == 403


def test_another_companys_team_is_404(client_for, tenant, other_tenant):
    client = client_for(tenant.admin)
    url = f"/api/v1/teams/{other_tenant.team.id}"

    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(teams_url(other_tenant)).status_code == 404
    assert Team.objects.filter(pk=other_tenant.team.pk, name=other_tenant.team.name).exists()


def test_admin_updates_and_deletes_a_team(client_for, tenant):
    client = client_for(tenant.admin)
    url = f"/api/v1/teams/{tenant.team.id}"

    assert client.patch(url, {"name": "Campo", "agents": [tenant.agent.id]}).status_code == 200
    tenant.team.refresh_from_db()
    assert tenant.team.name == "Campo"
    assert list(tenant.team.agents.all()) == [tenant.agent]
    assert client_for(tenant.lead).patch(url, {"name": "Nope"}).status_code == 403
    assert client.delete(url).status_code == 204
    assert not Team.objects.filter(pk=tenant.team.pk).exists()


def test_team_list_query_budget(client_for, tenant, django_assert_max_num_queries):
    for _ in range(20):
        TeamFactory(company=tenant.company, lead=tenant.lead, agents=[tenant.agent, tenant.lead])
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(5):
        response = client.get(teams_url(tenant), {"page_size": 100})

    assert response.data["count"] == 21
