from accounts.demo import demo_user
from companies.models import Company, Membership, Team
from core.demo import DemoLogin

Role = Membership.Role


def _company(cnpj: str, legal_name: str, trading_name: str, **fields) -> Company:
    company, _ = Company.objects.get_or_create(
        cnpj=cnpj, defaults={"legal_name": legal_name, "trading_name": trading_name, **fields}
    )
    return company


def _member(company: Company, email: str, name: str, role: str):
    user = demo_user(email, name)
    Membership.objects.get_or_create(user=user, company=company, defaults={"role": role})
    return user


def create_demo_data() -> list[DemoLogin]:
    softclient = _company(
        "11222333000181",
        "SoftClient Tecnologia Ltda",
        "SoftClient",
        support_email="suporte@softclient.demo",
        address="Av. Paulista, 1000, São Paulo - SP",
        is_active=True,
    )
    ajudae = _company(
        "12ABC34501DE35",
        "Ajudaê Serviços de TI S.A.",
        "Ajudaê",
        support_email="ajuda@ajudae.demo",
        address="Rua da Aurora, 200, Recife - PE",
        is_active=True,
    )
    servicedesk = _company(
        "45997418000153", "ServiceDesk Brasil Ltda", "ServiceDesk", is_active=False
    )

    admin = _member(softclient, "admin@softclient.demo", "Ana Admin", Role.ADMIN)
    lead = _member(softclient, "lead@softclient.demo", "Luís Lead", Role.AGENT)
    tech = _member(softclient, "tech@softclient.demo", "Tina Técnica", Role.AGENT)
    _member(softclient, "user@softclient.demo", "Rui Requester", Role.REQUESTER)
    # A technician who serves two client companies.
    Membership.objects.get_or_create(user=tech, company=ajudae, defaults={"role": Role.AGENT})
    _member(ajudae, "admin@ajudae.demo", "Bia Admin", Role.ADMIN)
    _member(ajudae, "user@ajudae.demo", "Caio Cliente", Role.REQUESTER)
    _member(servicedesk, "admin@servicedesk.demo", "Duda Admin", Role.ADMIN)

    for name, team_lead, agents in (
        ("Suporte", lead, [lead, tech]),
        ("Financeiro", admin, [tech]),
        ("Produto", lead, [lead]),
    ):
        team, created = Team.objects.get_or_create(
            company=softclient, name=name, defaults={"lead": team_lead}
        )
        if created:
            team.agents.set(agents)
    Team.objects.get_or_create(company=ajudae, name="Campo")

    return [
        DemoLogin("admin@softclient.demo", "SoftClient admin"),
        DemoLogin("lead@softclient.demo", "SoftClient agent, lead of Suporte and Produto"),
        DemoLogin("tech@softclient.demo", "agent of SoftClient and Ajudaê"),
        DemoLogin("user@softclient.demo", "SoftClient requester"),
        DemoLogin("admin@ajudae.demo", "Ajudaê admin"),
        DemoLogin("user@ajudae.demo", "Ajudaê requester"),
        DemoLogin("admin@servicedesk.demo", "ServiceDesk admin (company awaiting activation)"),
    ]
