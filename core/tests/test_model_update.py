import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core.models import IdempotencyRecord, OutboundEmail
from core.services import model_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def email():
    return OutboundEmail.objects.create(
        key="k", to="a@example.com", subject="Old", body_text="Body", message_id="<1@x>"
    )


def test_saves_only_the_fields_that_changed_and_updated_at(email):
    before = email.updated_at

    with CaptureQueriesContext(connection) as queries:
        email, changed = model_update(
            instance=email,
            data={"subject": "New", "body_text": "Body", "to": "ignored@example.com"},
            fields=("subject", "body_text"),
        )

    # then
    assert changed == ["subject"]
    [update] = [query["sql"] for query in queries.captured_queries]
    assert '"subject"' in update and '"updated_at"' in update
    assert '"body_text"' not in update and '"to"' not in update
    email.refresh_from_db()
    assert (email.subject, email.to) == ("New", "a@example.com")
    assert email.updated_at > before


def test_nothing_changed_makes_no_query(email, django_assert_num_queries):
    with django_assert_num_queries(0):
        _email, changed = model_update(
            instance=email, data={"subject": "Old"}, fields=("subject", "body_text")
        )

    assert changed == []


def test_a_foreign_key_is_compared_by_id(user, django_assert_num_queries):
    record = IdempotencyRecord.objects.create(user=user, key="k", scope="s", request_hash="h")
    record = IdempotencyRecord.objects.get(pk=record.pk)  # the user is not loaded
    other = UserFactory()

    with django_assert_num_queries(0):
        model_update(instance=record, data={"user": user}, fields=("user",))
    with django_assert_num_queries(1):  # a model without updated_at saves the field alone
        _record, changed = model_update(instance=record, data={"user": other}, fields=("user",))

    assert changed == ["user"]
    assert IdempotencyRecord.objects.get(pk=record.pk).user_id == other.pk
