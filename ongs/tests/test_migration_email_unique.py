"""Migration 0004 makes NGO e-mails unique without failing on NGOs that already shared one."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ongs", "0003_ong_name_index")]
AFTER = [("ongs", "0004_ong_email_unique_causes")]


@pytest.mark.django_db(transaction=True)
def test_existing_shared_emails_are_kept_and_flagged():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("accounts", "User")
    Ong = old_apps.get_model("ongs", "Ong")
    owner = User.objects.create(email="legacy.owner@example.com", name="Legacy")
    first, second, third, alone = (
        Ong.objects.create(name=name, cause="social", email=email, owner=owner)
        for name, email in [
            ("First", "shared@ngo.example"),
            ("Second", "SHARED@ngo.example"),
            ("Third", "Shared@NGO.example"),
            ("Alone", "alone@ngo.example"),
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    NewOng = executor.loader.project_state(AFTER).apps.get_model("ongs", "Ong")
    flags = dict(NewOng.objects.values_list("name", "shares_legacy_email"))
    emails = dict(NewOng.objects.values_list("name", "email"))
    assert flags == {"First": False, "Second": True, "Third": True, "Alone": False}
    assert emails["Second"] == "SHARED@ngo.example"  # nobody's address changed
    assert {first.pk, second.pk, third.pk, alone.pk} == set(
        NewOng.objects.values_list("pk", flat=True)
    )
