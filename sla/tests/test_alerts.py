"""The periodic scan: warnings before a due time and breaches after it, to the right
people, once each, whether it runs twice or twice at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from django.db import connection
from freezegun import freeze_time

from companies.models import Membership
from core.models import OutboundEmail
from orders import services as order_services
from orders.models import OrderEvent
from sla.models import OrderSla, SlaTarget
from sla.tasks import sla_alert_due

T0 = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
Kind = OrderEvent.Kind


def _order(tenant, *, team=True, priority="medium"):
    SlaTarget.objects.get_or_create(
        company=tenant.company,
        priority=priority,
        defaults={"first_response_minutes": 60, "resolution_minutes": 240},
    )
    with freeze_time(T0):
        return order_services.order_create(
            requester=tenant.requester,
            company=tenant.company,
            title="Jam",
            team=tenant.team if team else None,
        )


def _alerts(order):
    return list(
        OrderEvent.objects.filter(order=order, kind__in=[Kind.SLA_WARNING, Kind.SLA_BREACHED])
        .order_by("id")
        .values_list("kind", "data", "is_internal", "actor")
    )


def _mailed(kind_word: str) -> list[str]:
    return sorted(
        OutboundEmail.objects.filter(body_text__contains=kind_word).values_list("to", flat=True)
    )


@pytest.mark.django_db
def test_warning_then_breach_once_each_to_assignee_and_lead(tenant):
    order = _order(tenant)
    with freeze_time(T0):
        order_services.order_take(order=order, agent=tenant.agent)

    with freeze_time(T0 + timedelta(minutes=20)):
        assert sla_alert_due() == 0
    with freeze_time(T0 + timedelta(minutes=31)):  # 30 minutes before the response is due
        assert sla_alert_due() == 1
        assert sla_alert_due() == 0
    with freeze_time(T0 + timedelta(minutes=61)):
        assert sla_alert_due() == 1
        assert sla_alert_due() == 0

    due = (T0 + timedelta(minutes=60)).isoformat()
    assert _alerts(order) == [
        (Kind.SLA_WARNING, {"target": "response", "due": due}, True, None),
        (Kind.SLA_BREACHED, {"target": "response", "due": due}, True, None),
    ]
    people = sorted([tenant.agent.email, tenant.lead.email])
    assert _mailed("is due at") == people
    assert _mailed("is late") == people


@pytest.mark.django_db
def test_no_assignee_warns_the_lead_and_no_team_the_admins(tenant):
    with_team, without_team = _order(tenant), _order(tenant, team=False)

    with freeze_time(T0 + timedelta(hours=5)):
        sla_alert_due()

    # Both clocks are past due at once: each gets its breach only.
    assert [kind for kind, *_ in _alerts(with_team)] == [Kind.SLA_BREACHED, Kind.SLA_BREACHED]
    admins = Membership.objects.filter(company=tenant.company, role="admin")
    assert _mailed("first response of this service order was due") == sorted(
        [tenant.lead.email, *admins.values_list("user__email", flat=True)]
    )
    assert without_team.pk != with_team.pk


@pytest.mark.django_db
def test_paused_met_and_closed_clocks_are_left_alone(tenant):
    waiting, answered = _order(tenant), _order(tenant)
    with freeze_time(T0 + timedelta(minutes=1)):
        order_services.order_take(order=waiting, agent=tenant.agent)
        order_services.order_wait(order=waiting, actor=tenant.agent)
        order_services.message_add(order=answered, author=tenant.agent, body="Seen")
        order_services.order_take(order=answered, agent=tenant.agent)
        order_services.order_close(order=answered, actor=tenant.agent, solution="Done")

    with freeze_time(T0 + timedelta(days=3)):
        assert sla_alert_due() == 0

    assert OrderSla.objects.get(order=waiting).paused_since is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_alert_once(tenant):
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: row locks need PostgreSQL; run with DATABASE_URL=postgres://..."
        )
    orders = [_order(tenant) for _ in range(5)]
    barrier = Barrier(2)

    def scan():
        barrier.wait()
        try:
            return sla_alert_due()
        finally:
            connection.close()

    # One frozen clock for both threads (freezegun patches the process, not a thread).
    with freeze_time(T0 + timedelta(minutes=61)), ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda _: scan(), range(2)))

    assert sum(counts) == 5
    for order in orders:
        assert [kind for kind, *_ in _alerts(order)] == [Kind.SLA_BREACHED]
