from celery import shared_task

from webhooks import services


@shared_task(acks_late=True)
def webhook_delivery_send(delivery_id: int) -> bool:
    """Make the first (or a due) attempt at one delivery. Safe to run twice: a delivery
    that is not pending, not yet due or locked by another worker is left alone. A failure is
    not retried here: it is recorded with its next attempt's time, and
    `webhook_deliveries_send_due` makes that attempt."""
    return services.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True)
def webhook_deliveries_send_due() -> int:
    """Every minute: queue an attempt for each pending delivery that is due (retries with
    backoff, and first attempts whose after-commit task was lost with the broker)."""
    due = services.webhook_deliveries_due_ids()
    for delivery_id in due:
        webhook_delivery_send.delay(delivery_id)
    return len(due)


@shared_task(acks_late=True)
def webhook_deliveries_purge() -> int:
    """Daily: forget finished deliveries past WEBHOOKS_LOG_DAYS. Safe to run twice."""
    return services.webhook_deliveries_purge()
