"""Demo data for NGOs, events and payments: the NGO Cola&Bora, its events, registrations,
donations (approved and declined, through the sandbox gateway) and a withdrawal."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.demo import demo_user
from accounts.models import User
from core.demo import DemoLogin

OWNER_EMAIL = "ongowner@mutirao.demo"
VOLUNTEER_EMAIL = "voluntario@mutirao.demo"


def create_demo_data() -> list[DemoLogin]:
    from events import services as event_services
    from ongs import services as ong_services
    from ongs.models import Ong
    from payments import services as payment_services

    owner = demo_user(OWNER_EMAIL, "Olívia Cola&Bora", language=User.Language.PORTUGUESE)
    volunteer = demo_user(VOLUNTEER_EMAIL, "Vitor Voluntário", language=User.Language.PORTUGUESE)
    logins = [
        DemoLogin(OWNER_EMAIL, "owner of the NGO Cola&Bora (events, donations, withdrawals)"),
        DemoLogin(VOLUNTEER_EMAIL, "volunteer: registered for events, donates with saved cards"),
    ]
    if Ong.objects.filter(name="Cola&Bora", owner=owner).exists():
        return logins

    ong = ong_services.ong_create(
        owner=owner,
        data={
            "name": "Cola&Bora",
            "description": "Mutirões de limpeza, sopão solidário e reforço escolar.",
            "cause": Ong.Cause.SOCIAL,
            "email": "contato@colabora.demo",
            "phone": "+55 11 4000-1234",
            "address": "Rua da Esperança, 42, São Paulo - SP",
            "cnpj": "11222333000181",
        },
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    events = [
        event_services.event_create(
            ong=ong,
            data={
                "title": title,
                "description": description,
                "address": address,
                "starts_at": now + timedelta(days=days, hours=9),
                "ends_at": now + timedelta(days=days, hours=13),
                "capacity": capacity,
            },
        )
        for title, description, address, days, capacity in [
            ("Mutirão de limpeza da praia", "Luvas e sacos fornecidos.", "Praia Grande", 7, 20),
            ("Sopão solidário", "Preparo e distribuição.", "Rua da Esperança, 42", 10, 5),
            ("Reforço escolar", "Matemática e português.", "Escola Estadual Sol", 14, None),
        ]
    ]
    pessoa = User.objects.filter(email="pessoa@mutirao.demo").first()
    for person in [volunteer, pessoa]:
        if person is not None:
            event_services.registration_create(event=events[0], user=person)
    event_services.registration_create(event=events[1], user=volunteer)

    card = payment_services.payment_method_create(
        user=volunteer,
        number="4242424242424242",
        exp_month=12,
        exp_year=now.year + 3,
        cvc="123",
        holder_name="Vitor Voluntário",
    )
    stolen = payment_services.payment_method_create(
        user=volunteer,
        number="4000000000009979",
        exp_month=6,
        exp_year=now.year + 2,
        cvc="123",
        holder_name="Vitor Voluntário",
    )
    for method, amount in [(card, "150.00"), (card, "75.50"), (stolen, "20.00")]:
        payment_services.donation_create(
            donor=volunteer, ong=ong, payment_method=method, amount=Decimal(amount)
        )
    ong_services.withdrawal_create(
        ong=ong,
        requested_by=owner,
        amount=Decimal("100.00"),
        description="Compra de alimentos para o sopão",
    )
    return logins
