"""The Cola&Bora story end to end, through the API only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

API = "/api/v1"
PASSWORD = "a-long-enough-passphrase-2026"


def _login(api_client, email):
    response = api_client.post(f"{API}/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.data['access']}"}


def test_colabora_flow(api_client):
    # given two people who register without logging in
    for email, name in [("olivia@colabora.org", "Olívia"), ("vitor@example.com", "Vitor")]:
        registered = api_client.post(
            f"{API}/auth/register", {"email": email, "password": PASSWORD, "name": name}
        )
        assert registered.status_code == 201
        assert "access" not in registered.data
    olivia = _login(api_client, "olivia@colabora.org")
    vitor = _login(api_client, "vitor@example.com")

    # Olívia registers the NGO and publishes an event
    ong = api_client.post(
        f"{API}/ongs",
        {"name": "Cola&Bora", "cause": "social", "email": "contato@colabora.org"},
        **olivia,
    ).data
    starts = timezone.now() + timedelta(days=2)
    event = api_client.post(
        f"{API}/events",
        {
            "ong": ong["id"],
            "title": "Sopão",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "capacity": 10,
        },
        **olivia,
    ).data

    # Vitor registers, saves a card and donates
    assert api_client.post(f"{API}/events/{event['id']}/registration", **vitor).status_code == 201
    card = api_client.post(
        f"{API}/payment-methods",
        {
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": starts.year + 2,
            "cvc": "123",
            "holder_name": "Vitor",
        },
        **vitor,
    ).data
    donated = api_client.post(
        f"{API}/ongs/{ong['id']}/donations",
        {"amount": "60.00", "payment_method": card["id"]},
        HTTP_IDEMPOTENCY_KEY="vitor-1",
        **vitor,
    )
    assert donated.status_code == 201

    # Olívia sees who came and who gave, and withdraws
    participants = api_client.get(f"{API}/ongs/{ong['id']}/participants", **olivia).data
    assert [person["name"] for person in participants["results"]] == ["Vitor"]
    withdrawn = api_client.post(
        f"{API}/ongs/{ong['id']}/withdrawals", {"amount": "45.00"}, **olivia
    )
    assert withdrawn.status_code == 201
    balance = api_client.get(f"{API}/ongs/{ong['id']}/balance", **olivia).data
    assert balance == {"donated": "60.00", "withdrawn": "45.00", "available": "15.00"}

    # Vitor cannot edit Olívia's NGO nor read its balance
    assert api_client.patch(f"{API}/ongs/{ong['id']}", {"name": "Mine"}, **vitor).status_code == 403
    assert api_client.get(f"{API}/ongs/{ong['id']}/balance", **vitor).status_code == 404

    # each person edits only themselves
    olivia_id = User.objects.get(email="olivia@colabora.org").pk
    assert api_client.patch(f"{API}/users/me", {"phone": "+55 11 9"}, **vitor).status_code == 200
    # another person's account is not visible to Vitor, so it answers 404 (never changed)
    assert api_client.patch(f"{API}/users/{olivia_id}", {"name": "X"}, **vitor).status_code == 404
    assert User.objects.get(pk=olivia_id).name == "Olívia"

    # Vitor deactivates his account, then logging in again reactivates it
    assert api_client.delete(f"{API}/users/me", **vitor).status_code == 204
    assert User.objects.get(email="vitor@example.com").is_active is False
    _login(api_client, "vitor@example.com")
    assert User.objects.get(email="vitor@example.com").is_active is True
