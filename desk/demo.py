from accounts.models import User
from companies.models import Company, Team
from core.demo import DemoLogin
from desk.models import CannedReply, OrderWatcher, SatisfactionRating
from orders.models import Order


def create_demo_data() -> list[DemoLogin]:
    """SoftClient's canned replies (one company-wide, one of Suporte), the requester's
    rating of a closed order and the admin watching an open one."""
    softclient = Company.objects.get(cnpj="11222333000181")
    if CannedReply.objects.filter(company=softclient).exists():
        return []
    admin = User.objects.get(email="admin@softclient.demo")
    lead = User.objects.get(email="lead@softclient.demo")
    requester = User.objects.get(email="user@softclient.demo")
    suporte = Team.objects.get(company=softclient, name="Suporte")
    CannedReply.objects.create(
        company=softclient,
        title="Recebemos seu chamado",
        body="Olá {requester_name}, recebemos o chamado #{order_id} ({title}) e já estamos "
        "cuidando dele.",
        created_by=admin,
    )
    CannedReply.objects.create(
        company=softclient,
        team=suporte,
        title="Técnico a caminho",
        body="Olá {requester_name}, um técnico do Suporte está a caminho para o chamado "
        "#{order_id}.",
        created_by=lead,
    )
    orders = Order.objects.filter(company=softclient, requester=requester)
    closed = orders.filter(status=Order.Status.CLOSED).order_by("id").first()
    if closed is not None:
        SatisfactionRating.objects.create(
            order=closed,
            score=5,
            comment="Resolvido no mesmo dia, obrigado!",
            rated_by=requester,
            team_id=closed.team_id,
            agent_id=closed.assignee_id,
        )
    opened = orders.filter(status=Order.Status.OPEN).order_by("id").first()
    if opened is not None:
        OrderWatcher.objects.create(order=opened, user=admin, added_by=admin)
    return []
