"""`core.db.writes_deferred`: rows queued and written together, and read back as if each
had been written at once. PostgreSQL only, where the block defers anything."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import WriteFailed, insert, insert_unless_conflict, update_columns, writes_deferred
from core.models import OutboundEmail
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("writes_deferred defers only on PostgreSQL: DATABASE_URL=postgres://...")


def _email(key: str) -> OutboundEmail:
    return OutboundEmail(
        key=key, to=f"{key}@client.example", subject="s", body_text="b", message_id=f"<{key}@x>"
    )


def _writes(captured) -> list[str]:
    return [q["sql"] for q in captured if q["sql"].lstrip().startswith(("INSERT", "UPDATE"))]


@pytest.mark.usefixtures("postgres_only")
def test_rows_are_written_together_when_the_block_ends():
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        with writes_deferred():
            first, second = insert(_email("first")), insert(_email("second"))
            assert insert_unless_conflict(_email("third"))
            first.subject = "changed before it was written"
            update_columns(first, ["subject"])
            queued = _writes(captured)
        written = _writes(captured)

    assert queued == []  # nothing sent while the block ran
    assert len(written) == 1 and written[0].count("INSERT INTO") == 1  # one multi-row INSERT
    assert first.pk and second.pk and first.pk != second.pk  # ids taken ahead, at once
    assert OutboundEmail.objects.get(pk=first.pk).subject == "changed before it was written"
    assert OutboundEmail.objects.count() == 3


@pytest.mark.usefixtures("postgres_only")
def test_a_read_sees_what_was_queued_before_it():
    with transaction.atomic(), writes_deferred():
        email = insert(_email("read-back"))
        assert OutboundEmail.objects.filter(pk=email.pk).exists()  # written before the read
        email.subject = "after the read"
        update_columns(email, ["subject"])
        assert OutboundEmail.objects.get(pk=email.pk).subject == "after the read"


@pytest.mark.usefixtures("postgres_only")
def test_an_update_of_the_same_row_is_sent_once_with_its_last_values():
    email = insert(_email("twice"))
    with transaction.atomic(), CaptureQueriesContext(connection) as captured, writes_deferred():
        for subject in ("one", "two"):
            email.subject = subject
            update_columns(email, ["subject"])

    (written,) = _writes(captured)
    assert written.count("UPDATE") == 1
    email.refresh_from_db()
    assert email.subject == "two"


@pytest.mark.usefixtures("postgres_only")
def test_a_conflict_fails_the_whole_block_as_write_failed_not_integrity_error():
    insert(_email("taken"))

    with pytest.raises(WriteFailed) as failed, transaction.atomic(), writes_deferred():
        insert(_email("innocent"))
        assert insert_unless_conflict(_email("taken"))  # it cannot know yet

    assert not isinstance(failed.value, IntegrityError)
    assert isinstance(failed.value.__cause__, IntegrityError)
    assert not OutboundEmail.objects.filter(key="innocent").exists()  # rolled back whole


@pytest.mark.usefixtures("postgres_only")
def test_rolling_back_a_savepoint_drops_what_was_queued_inside_it():
    with transaction.atomic(), writes_deferred():
        insert(_email("kept"))
        try:
            with transaction.atomic():
                insert(_email("dropped"))
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        insert(_email("after"))

    assert sorted(OutboundEmail.objects.values_list("key", flat=True)) == ["after", "kept"]


@pytest.mark.usefixtures("postgres_only")
def test_a_generated_column_is_read_when_first_used(tenant):
    with transaction.atomic(), writes_deferred():
        order = insert(
            Order(company=tenant.company, requester=tenant.requester, title="T", priority="urgent")
        )

    assert order.priority_rank == Order.objects.get(pk=order.pk).priority_rank
    assert order.priority_rank is not None


def test_elsewhere_the_block_writes_each_row_at_once():
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the block defers")
    with transaction.atomic(), writes_deferred(), CaptureQueriesContext(connection) as captured:
        insert(_email("at-once"))
        assert len(_writes(captured)) == 1


@pytest.mark.usefixtures("postgres_only")
def test_a_write_failing_as_a_savepoint_ends_rolls_back_only_that_savepoint():
    insert(_email("taken"))

    with transaction.atomic(), writes_deferred():
        with pytest.raises(WriteFailed), transaction.atomic():
            insert_unless_conflict(_email("taken"))  # written, and refused, at its release
        insert(_email("later"))  # the transaction goes on

    assert sorted(OutboundEmail.objects.values_list("key", flat=True)) == ["later", "taken"]
