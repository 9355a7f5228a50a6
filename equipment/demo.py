"""Demo equipment of SoftClient and Ajudaê; `link_demo_orders` (called by orders' demo,
which loads after this app) points the demo orders at them, giving items a history."""

from companies.models import Company
from core.demo import DemoLogin
from equipment.models import Equipment
from orders.models import Order

SOFT, AJUDA = "11222333000181", "12ABC34501DE35"
# (company CNPJ, kind, brand, model, serial number, patrimony tag, room, status)
ITEMS = [
    (SOFT, "printer", "HP", "LaserJet Pro M428", "BRBSQ1N2K3", "SC-0001", "2º andar", "in_use"),
    (SOFT, "computer", "Dell", "OptiPlex 7090", "7XK2Q93", "SC-0002", "Recepção", "in_use"),
    (SOFT, "notebook", "Lenovo", "ThinkPad E14", "PF3A9ZQ1", "SC-0003", "Financeiro", "in_use"),
    (SOFT, "ups", "APC", "Back-UPS 1500", "3B2207X11234", "SC-0004", "CPD", "in_repair"),
    (SOFT, "other", "Epson", "PowerLite X49", "X4NF1200345", "SC-0005", "Reuniões", "in_use"),
    (SOFT, "printer", "Brother", "HL-1212W", "E73951K6N", "SC-0006", "Almoxarifado", "retired"),
    (AJUDA, "printer", "Samsung", "Xpress M2020", "ZD7CB8GF", "AJ-101", "Atendimento", "in_use"),
]  # fmt: skip
# Demo order titles (orders/demo.py) → the serial number of the item each one is about.
ORDERS = {
    "Impressora do 2º andar não imprime": "BRBSQ1N2K3",
    "Computer will not boot": "7XK2Q93",
    "Monitor piscando": "7XK2Q93",
    "Notebook sem Wi-Fi": "PF3A9ZQ1",
    "Nobreak apitando": "3B2207X11234",
    "Projetor da sala de reunião": "X4NF1200345",
    "Toner acabou": "ZD7CB8GF",
}


def create_demo_data() -> list[DemoLogin]:
    companies = {
        company.cnpj: company for company in Company.objects.filter(cnpj__in=[SOFT, AJUDA])
    }
    for cnpj, kind, brand, model, serial, tag, room, status in ITEMS:
        company = companies[cnpj]
        Equipment.objects.get_or_create(
            company=company,
            serial_number=serial,
            defaults={
                "kind": kind,
                "brand": brand,
                "model": model,
                "patrimony_tag": tag,
                "site_address": company.address,
                "room": room,
                "status": status,
            },
        )
    return []


def link_demo_orders() -> None:
    """Point each demo order that has no item at its item (idempotent)."""
    items = {
        (item.company_id, item.serial_number): item
        for item in Equipment.objects.filter(serial_number__in=set(ORDERS.values()))
    }
    orders = Order.objects.filter(title__in=ORDERS, equipment_item__isnull=True)
    for order in orders:
        item = items.get((order.company_id, ORDERS[order.title]))
        if item is not None:
            Order.objects.filter(pk=order.pk).update(equipment_item=item)
