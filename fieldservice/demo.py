"""Demo data: a visit scheduled for tomorrow and some time logged on SoftClient's orders."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from core.demo import DemoLogin
from fieldservice.models import TimeEntry, Visit
from orders.models import Order


def create_demo_data() -> list[DemoLogin]:
    tech = User.objects.filter(email="tech@softclient.demo").first()
    orders = Order.objects.filter(company__cnpj="11222333000181").order_by("id")
    if tech is None or not orders.exists() or Visit.objects.filter(order__in=orders).exists():
        return []
    company = orders[0].company
    order = orders.filter(status=Order.Status.IN_PROGRESS).first() or orders[0]
    tomorrow = timezone.now().astimezone(company.zone).date() + timedelta(days=1)
    starts_at = datetime.combine(tomorrow, time(14, 30), tzinfo=company.zone)
    Visit.objects.create(
        order=order,
        technician=tech,
        starts_at=starts_at,
        duration_minutes=90,
        ends_at=starts_at + timedelta(minutes=90),
        address=order.site_address,
        created_by=tech,
    )
    today = timezone.now().astimezone(company.zone).date()
    for days_ago, (minutes, note) in enumerate(
        [(30, "Diagnóstico remoto."), (45, "Troca do cabo de rede."), (20, "Teste final.")]
    ):
        TimeEntry.objects.create(
            order=order,
            agent=tech,
            minutes=minutes,
            note=note,
            date=today - timedelta(days=days_ago),
        )
    return []
