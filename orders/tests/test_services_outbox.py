import pytest
from django.core import mail

from core.models import OutboundEmail
from orders import notifications, services
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


def test_a_rolled_back_change_sends_nothing(
    tenant, order, monkeypatch, django_capture_on_commit_callbacks
):
    real_notify = notifications.notify

    def notify_then_fail(*args, **kwargs):
        real_notify(*args, **kwargs)  # the outbox row is written...
        raise RuntimeError("...and then the change fails")

    monkeypatch.setattr(notifications, "notify", notify_then_fail)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.order_take(order=order, agent=tenant.agent)

    assert Order.objects.get(pk=order.pk).status == "open"
    assert not OrderEvent.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_committed_change_sends_exactly_one_email_even_if_delivered_twice(
    tenant, order, django_capture_on_commit_callbacks
):
    from core.tasks import outbox_send

    with django_capture_on_commit_callbacks(execute=True):
        services.order_take(order=order, agent=tenant.agent)
    outbound = OutboundEmail.objects.get()

    assert outbox_send.apply(args=[outbound.pk]).get() is False  # a redelivery is a no-op
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [tenant.requester.email]
