import pytest
from django.urls import reverse

from fieldservice.tests.factories import TimeEntryFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["visit", "timeentry"])
def test_admin_pages_open(client, staff_user, model):
    VisitFactory()
    entry = TimeEntryFactory()
    client.force_login(staff_user)
    prefix = f"admin:fieldservice_{model}"

    assert client.get(reverse(f"{prefix}_changelist")).status_code == 200
    assert client.get(reverse(f"{prefix}_changelist"), {"q": "x"}).status_code == 200
    assert client.get(reverse(f"{prefix}_add")).status_code == 200
    if model == "timeentry":
        assert client.get(reverse(f"{prefix}_change", args=[entry.pk])).status_code == 200
