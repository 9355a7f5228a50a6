from celery import shared_task

from sla import selectors, services


@shared_task(acks_late=True, ignore_result=True)
def sla_alert_due() -> int:
    """Periodic (every minute): warn the people of each order whose SLA due time is near,
    and tell them when it passes, once each (`order_sla_alert` locks and marks what it
    sent, so a repeated or concurrent run sends nothing twice). Returns the alerts written."""
    return sum(
        len(services.order_sla_alert(order_id=order_id))
        for order_id in selectors.order_sla_ids_to_alert()
    )
