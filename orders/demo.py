import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import User
from companies.models import Company, Team
from core.demo import DemoLogin
from equipment.demo import link_demo_orders
from orders.models import Message, Order, OrderEvent
from orders.services import attachment_upload, event_changes

Status, Kind = Order.Status, OrderEvent.Kind


def create_demo_data() -> list[DemoLogin]:
    softclient = Company.objects.get(cnpj="11222333000181")
    if Order.objects.filter(company=softclient).exists():
        return []
    _create_orders(softclient)
    link_demo_orders()  # the equipment each order is about (equipment/demo.py)
    return []


def _create_orders(softclient: Company) -> None:
    ajudae = Company.objects.get(cnpj="12ABC34501DE35")
    requester = User.objects.get(email="user@softclient.demo")
    tech = User.objects.get(email="tech@softclient.demo")
    suporte = Team.objects.get(company=softclient, name="Suporte")
    financeiro = Team.objects.get(company=softclient, name="Financeiro")
    now = timezone.now()

    samples = [
        (
            softclient,
            requester,
            suporte,
            "printer",
            "Impressora do 2º andar não imprime",
            Status.OPEN,
            "high",
        ),
        (
            softclient,
            requester,
            suporte,
            "computer",
            "Computer will not boot",
            Status.OPEN,
            "urgent",
        ),
        (
            softclient,
            requester,
            financeiro,
            "notebook",
            "Notebook sem Wi-Fi",
            Status.IN_PROGRESS,
            "medium",
        ),
        (softclient, requester, suporte, "ups", "Nobreak apitando", Status.IN_PROGRESS, "high"),
        (softclient, requester, suporte, "computer", "Monitor piscando", Status.CLOSED, "low"),
        (
            softclient,
            requester,
            None,
            "other",
            "Projetor da sala de reunião",
            Status.CLOSED,
            "medium",
        ),
        (
            ajudae,
            User.objects.get(email="user@ajudae.demo"),
            None,
            "printer",
            "Toner acabou",
            Status.OPEN,
            "low",
        ),
    ]
    for hours_ago, (company, who, team, equipment, title, status, priority) in enumerate(
        samples, 1
    ):
        created = now - timedelta(hours=hours_ago * 7)
        order = Order.objects.create(
            company=company,
            requester=who,
            team=team,
            equipment=equipment,
            title=title,
            description=f"{title}. Sala {100 + hours_ago}.",
            site_address=company.address,
            status=status,
            priority=priority,
            assignee=tech if status != Status.OPEN else None,
            taken_at=created + timedelta(minutes=40) if status != Status.OPEN else None,
            closed_at=created + timedelta(hours=3) if status == Status.CLOSED else None,
            solution="Cabo trocado e equipamento testado." if status == Status.CLOSED else "",
        )
        Order.objects.filter(pk=order.pk).update(created_at=created)
        OrderEvent.objects.create(
            order=order, actor=who, kind=Kind.CREATED, data={"channel": order.channel}
        )
        if status != Status.OPEN:
            OrderEvent.objects.create(
                order=order,
                actor=tech,
                kind=Kind.TAKEN,
                data=event_changes(
                    status=(Status.OPEN, Status.IN_PROGRESS), assignee=(None, tech.pk)
                ),
            )
            Message.objects.create(order=order, author=tech, body="Estou a caminho.")
            Message.objects.create(
                order=order, author=tech, body="Peça reserva no almoxarifado.", is_internal=True
            )
        if status == Status.CLOSED:
            OrderEvent.objects.create(
                order=order,
                actor=tech,
                kind=Kind.CLOSED,
                data=event_changes(
                    status=(Status.IN_PROGRESS, Status.CLOSED), solution=("", order.solution)
                ),
            )
    printer = Order.objects.get(company=softclient, title__startswith="Impressora")
    _demo_photo(printer, requester)


def _demo_photo(order: Order, requester: User) -> None:
    """A photo of the printer's panel, uploaded by its requester (through the service, as
    the API would)."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (320, 200), (225, 228, 232))
    ImageDraw.Draw(image).text((24, 90), "ERRO 0x50 - papel preso", fill=(180, 20, 20))
    image.save(buffer, "JPEG")
    photo = SimpleUploadedFile("painel-da-impressora.jpg", buffer.getvalue(), "image/jpeg")
    attachment_upload(order=order, uploader=requester, file=photo)
