from datetime import date, time

from companies.models import Company
from core.demo import DemoLogin
from orders.models import Order
from sla import services
from sla.models import BusinessHours, Holiday, SlaTarget

# (first response, resolution) in business minutes, per priority.
TARGETS = {
    "urgent": (30, 240),
    "high": (60, 480),
    "medium": (240, 1440),
    "low": (480, 2880),
}
WORKING_DAY = [(time(8), time(12)), (time(13), time(18))]


def create_demo_data() -> list[DemoLogin]:
    """SLA targets for the demo companies; SoftClient works weekdays with a holiday,
    Ajudaê around the clock (no business hours). Demo orders get their clocks (taking
    counts as the first response), so Ajudaê's day-old open order shows a breach."""
    companies = list(Company.objects.filter(cnpj__in=["11222333000181", "12ABC34501DE35"]))
    for company in companies:
        for priority, (response, resolution) in TARGETS.items():
            SlaTarget.objects.get_or_create(
                company=company,
                priority=priority,
                defaults={"first_response_minutes": response, "resolution_minutes": resolution},
            )
    softclient = next((c for c in companies if c.cnpj == "11222333000181"), None)
    if softclient is not None and not BusinessHours.objects.filter(company=softclient).exists():
        BusinessHours.objects.bulk_create(
            BusinessHours(company=softclient, weekday=day, opens=opens, closes=closes)
            for day in range(5)
            for opens, closes in WORKING_DAY
        )
        Holiday.objects.get_or_create(
            company=softclient,
            date=date(date.today().year, 12, 25),
            defaults={"name": "Natal"},
        )
    orders = Order.objects.filter(company__in=companies, sla__isnull=True).select_related("company")
    for order in orders:
        sla = services.order_sla_start(order=order)
        if sla is None:
            continue
        sla.first_responded_at = order.taken_at
        sla.resolved_at = order.closed_at
        sla.save(update_fields=["first_responded_at", "resolved_at"])
    return []
