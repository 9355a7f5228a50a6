"""Demo household: Casa Mutirão in São Paulo with an admin, two residents, routines, rules,
tasks and bills. Idempotent: running it again changes nothing."""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.demo import demo_user
from core.demo import DemoLogin
from homes.models import Bill, Home, HomeMember, Routine, Rule, Task
from homes.services import routine_materialize

DEMO_HOME = "Casa Mutirão"


def create_demo_data() -> list[DemoLogin]:
    admin = demo_user("home@mutirao.demo", "Helena Home")
    bia = demo_user("bia@mutirao.demo", "Bia Moradora")
    caio = demo_user("caio@mutirao.demo", "Caio Morador")
    logins = [
        DemoLogin("home@mutirao.demo", f"admin of the home {DEMO_HOME}"),
        DemoLogin("bia@mutirao.demo", f"resident of {DEMO_HOME}"),
        DemoLogin("caio@mutirao.demo", f"resident of {DEMO_HOME}"),
    ]
    if Home.objects.filter(name=DEMO_HOME, created_by=admin).exists():
        return logins

    home = Home.objects.create(
        name=DEMO_HOME,
        address="Rua Augusta, 1500, São Paulo",
        rent=Decimal("4200.00"),
        time_zone="America/Sao_Paulo",
        created_by=admin,
    )
    HomeMember.objects.create(home=home, user=admin, role=HomeMember.Role.ADMIN)
    HomeMember.objects.create(home=home, user=bia)
    HomeMember.objects.create(home=home, user=caio)
    for text in [
        "Silêncio depois das 22h.",
        "Louça lavada no mesmo dia.",
        "Visitas para dormir: avise o grupo antes.",
    ]:
        Rule.objects.create(home=home, text=text, created_by=admin)

    today = timezone.now().astimezone(home.zone).date()
    dishes = Routine.objects.create(
        home=home,
        name="Lavar a louça",
        description="Pia vazia e bancada limpa.",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        time_limit=time(21, 0),
        assignment=Routine.Assignment.ROTATION,
        points=5,
        valid_from=today,
        created_by=admin,
    )
    dishes.rotation_members.set([admin, bia, caio])
    Routine.objects.create(
        home=home,
        name="Levar o lixo",
        description="Lixo reciclável separado.",
        weekdays=[0, 3],
        time_limit=time(19, 0),
        assignment=Routine.Assignment.FIXED,
        responsible=caio,
        points=3,
        penalty_amount=Decimal("10.00"),
        valid_from=today,
        created_by=admin,
    )
    Task.objects.create(
        home=home,
        title="Trocar a lâmpada da cozinha",
        assignee=bia,
        due_at=timezone.now() + timedelta(days=2),
        points=8,
        created_by=admin,
    )
    Bill.objects.create(
        home=home,
        debtor=bia,
        creditor=admin,
        amount=Decimal("1400.00"),
        description="Aluguel (parte da Bia)",
        due_date=today + timedelta(days=10),
        created_by=admin,
    )
    Bill.objects.create(
        home=home,
        debtor=caio,
        creditor=bia,
        amount=Decimal("85.90"),
        description="Internet",
        due_date=today + timedelta(days=5),
        created_by=bia,
    )
    routine_materialize()
    return logins
