import pytest
from django.core.management import call_command
from validate_docbr import CNPJ

from accounts.models import User
from accounts.tests.factories import UserFactory
from companies.models import Company, Membership
from companies.tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
NEW_COMPANY = {
    "cnpj": "12.abc.345/01de-35",
    "legal_name": "Nova Empresa Ltda",
    "trading_name": "Nova",
    "support_email": "suporte@nova.example",
}
FIRST_ADMIN = {
    "email": "founder@nova.example",
    "password": "a-long-unusual-passphrase",
    "name": "Fê",
}


def test_anyone_registers_a_company_with_its_first_admin(api_client):
    response = api_client.post("/api/v1/companies", {**NEW_COMPANY, "admin": FIRST_ADMIN})

    assert response.status_code == 201, response.data
    assert response.data["cnpj"] == "12.ABC.345/01DE-35"
    assert response.data["is_active"] is False
    company = Company.objects.get()
    assert company.cnpj == "12ABC34501DE35"
    founder = User.objects.get(email="founder@nova.example")
    assert Membership.objects.get(company=company).user == founder
    assert Membership.objects.get(company=company).role == Role.ADMIN


def test_logged_in_founder_becomes_the_admin(user_client, user):
    response = user_client.post("/api/v1/companies", NEW_COMPANY)

    assert response.status_code == 201
    assert Membership.objects.get(company_id=response.data["id"]).user == user


@pytest.mark.parametrize(
    "cnpj", ["11.222.333/0001-82", "11111111111111", "12ABC", "ZZ.ABC.345/01DE-35"]
)
def test_invalid_cnpj_is_400_and_creates_nothing(api_client, cnpj):
    response = api_client.post(
        "/api/v1/companies", {**NEW_COMPANY, "cnpj": cnpj, "admin": FIRST_ADMIN}
    )

    assert response.status_code == 400
    assert "cnpj" in response.data["errors"]
    assert not Company.objects.exists()
    assert not User.objects.exists()


def test_duplicate_cnpj_is_400_and_creates_no_account(api_client):
    CompanyFactory(cnpj="12ABC34501DE35")

    response = api_client.post("/api/v1/companies", {**NEW_COMPANY, "admin": FIRST_ADMIN})

    assert response.status_code == 400
    assert "cnpj" in response.data["errors"]
    assert not User.objects.filter(email=FIRST_ADMIN["email"]).exists()


def test_anonymous_registration_needs_the_first_admin(api_client):
    response = api_client.post("/api/v1/companies", NEW_COMPANY)

    assert response.status_code == 400
    assert "admin" in response.data["errors"]
    assert not Company.objects.exists()


def test_registration_cannot_activate_itself(api_client):
    response = api_client.post(
        "/api/v1/companies", {**NEW_COMPANY, "admin": FIRST_ADMIN, "is_active": True}
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "is_active": [
            "This field cannot be set here; a new company starts inactive until platform "
            "staff activate it."
        ]
    }
    assert not Company.objects.exists()
    assert not User.objects.exists()


def test_members_list_only_their_companies_and_staff_all(
    client_for, tenant, other_tenant, staff_client
):
    mine = client_for(tenant.requester).get("/api/v1/companies")
    everyone = staff_client.get("/api/v1/companies")

    assert [row["id"] for row in mine.data["results"]] == [tenant.company.id]
    assert everyone.data["count"] == 2


def test_another_companys_detail_is_404(client_for, tenant, other_tenant):
    response = client_for(tenant.admin).get(f"/api/v1/companies/{other_tenant.company.id}")

    assert response.status_code == 404


def test_admin_edits_the_company(client_for, tenant):
    company = tenant.company

    response = client_for(tenant.admin).patch(
        f"/api/v1/companies/{company.id}", {"trading_name": "Renamed"}
    )

    assert response.status_code == 200
    assert response.data["trading_name"] == "Renamed"
    company.refresh_from_db()
    assert company.trading_name == "Renamed"


@pytest.mark.parametrize("status_field", ["is_active", "active"])
def test_admin_edits_the_company_but_not_its_cnpj_or_status(client_for, tenant, status_field):
    company = tenant.company
    before = (company.trading_name, company.cnpj)

    response = client_for(tenant.admin).patch(
        f"/api/v1/companies/{company.id}",
        {"trading_name": "Renamed", "cnpj": "11222333000181", status_field: False},
    )

    assert response.status_code == 400
    errors = response.data["errors"]
    assert set(errors) == {"cnpj", status_field}
    assert errors["cnpj"] == [
        "This field cannot be set here; the CNPJ is fixed when the company is registered."
    ]
    assert "DELETE /api/v1/companies/{id}" in errors[status_field][0]
    assert "/deactivate" in errors[status_field][0]
    company.refresh_from_db()
    assert (company.trading_name, company.cnpj, company.is_active) == (*before, True)


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_non_admins_cannot_edit_the_company(client_for, tenant, role):
    response = client_for(getattr(tenant, role)).patch(
        f"/api/v1/companies/{tenant.company.id}", {"trading_name": "Hijacked"}
    )

    assert response.status_code == 403
    tenant.company.refresh_from_db()
    assert tenant.company.trading_name != "Hijacked"


def test_delete_deactivates(client_for, tenant):
    response = client_for(tenant.admin).delete(f"/api/v1/companies/{tenant.company.id}")

    assert response.status_code == 204
    tenant.company.refresh_from_db()
    assert tenant.company.is_active is False


def test_only_staff_activate(client_for, staff_client, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)
    url = f"/api/v1/companies/{tenant.company.id}/activate"

    assert client_for(tenant.admin).post(url).status_code == 403
    response = staff_client.post(url)

    assert response.status_code == 200
    assert response.data["is_active"] is True
    assert (
        staff_client.post(f"/api/v1/companies/{tenant.company.id}/deactivate").data["is_active"]
        is False
    )


def test_activate_company_command(tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)

    call_command("activate_company", tenant.company.cnpj_formatted)

    tenant.company.refresh_from_db()
    assert tenant.company.is_active is True


def test_inactive_company_can_be_read_but_not_written(client_for, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)
    admin = client_for(tenant.admin)

    read = admin.get(f"/api/v1/companies/{tenant.company.id}/members")
    write = admin.post(
        f"/api/v1/companies/{tenant.company.id}/members",
        {
            "email": "x@example.com",
            "role": "agent",
            "name": "X",
            "password": "a-long-unusual-passphrase",
        },
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.data["code"] == "company_inactive"
    assert "awaiting activation" in write.data["detail"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_company_list_query_budget(client_for, staff_client, django_assert_max_num_queries):
    CompanyFactory.create_batch(30)

    with django_assert_max_num_queries(3):
        response = staff_client.get("/api/v1/companies", {"page_size": 100})

    assert response.data["count"] == 30


def test_users_companies_lists_what_the_caller_sees(client_for, tenant, other_tenant):
    MembershipFactory(user=tenant.agent, company=other_tenant.company, role=Role.AGENT)

    response = client_for(tenant.admin).get(f"/api/v1/users/{tenant.agent.id}/companies")

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [tenant.company.id]


def test_company_admin_sees_their_members_in_users(client_for, tenant, other_tenant):
    UserFactory()

    response = client_for(tenant.admin).get("/api/v1/users", {"page_size": 100})
    ids = {row["id"] for row in response.data["results"]}

    assert ids == {tenant.admin.id, tenant.lead.id, tenant.agent.id, tenant.requester.id}
    assert client_for(tenant.admin).get(f"/api/v1/users/{other_tenant.admin.id}").status_code == 404
    assert client_for(tenant.agent).get(f"/api/v1/users/{tenant.admin.id}").status_code == 404


def test_company_admin_cannot_edit_a_members_profile(client_for, tenant):
    response = client_for(tenant.admin).patch(
        f"/api/v1/users/{tenant.agent.id}", {"name": "Renamed"}
    )

    assert response.status_code == 403
    tenant.agent.refresh_from_db()
    assert tenant.agent.name != "Renamed"


# --- sign-up throttle ------------------------------------------------------------------------


def _registration(n: int) -> dict:
    return {
        **NEW_COMPANY,
        "cnpj": CNPJ().generate(),
        "support_email": f"support{n}@nova.example",
        "admin": {**FIRST_ADMIN, "email": f"founder{n}@nova.example"},
    }


def test_anonymous_registrations_share_the_sign_up_limit_per_address(api_client):
    # given: the sign-up limit per address (10 an hour)
    responses = [api_client.post("/api/v1/companies", _registration(n)) for n in range(11)]

    # then: the 11th is refused and creates neither a company nor an account
    assert [r.status_code for r in responses] == [201] * 10 + [429]
    assert responses[-1].data["code"] == "throttled"
    assert int(responses[-1]["Retry-After"]) > 0
    assert Company.objects.count() == 10
    assert not User.objects.filter(email="founder10@nova.example").exists()


def test_auth_register_and_company_registration_count_together(api_client):
    for n in range(10):
        api_client.post(
            "/api/v1/auth/register",
            {"email": f"p{n}@example.com", "password": FIRST_ADMIN["password"], "name": "P"},
        )

    response = api_client.post("/api/v1/companies", _registration(99))

    assert response.status_code == 429
    assert not Company.objects.exists()
    assert not User.objects.filter(email="founder99@nova.example").exists()


def test_the_sign_up_limit_per_email_covers_the_first_admin(api_client):
    # given: one e-mail tried from many addresses (5 an hour per e-mail)
    body = {**NEW_COMPANY, "admin": {**FIRST_ADMIN, "password": "short"}}
    codes = [
        api_client.post("/api/v1/companies", body, REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(6)
    ]

    assert codes == [400] * 5 + [429]
    assert not Company.objects.exists()
    assert not User.objects.exists()


def test_a_logged_in_founder_is_not_counted_as_a_sign_up(client_for, user):
    client = client_for(user)

    codes = [client.post("/api/v1/companies", _registration(n)).status_code for n in range(11)]

    assert codes == [201] * 11
