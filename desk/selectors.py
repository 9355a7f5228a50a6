"""Canned replies, ratings and watchers a user may see. Views start every queryset here."""

from enum import StrEnum

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Membership, Team
from companies.selectors import STAFF_ROLES, company_ids_where
from core.exceptions import NotFound
from desk.models import CannedReply, OrderWatcher, SatisfactionRating
from orders.models import Order

Role = Membership.Role


class CannedReplyRole(StrEnum):
    """What a person is to one canned reply, as views name it in `required_roles`."""

    ADMIN = "admin"  # an admin of the reply's company: manages every reply of it
    LEAD = "lead"  # leads the reply's team: manages that team's replies
    USER = "user"  # an agent who may post it: company-wide, or of one of their teams


def _teams_of(user: User) -> QuerySet:
    """Ids of the teams the user leads or works in, in companies where they are staff."""
    teams = Team.objects.filter(company_id__in=company_ids_where(user, STAFF_ROLES))
    return teams.filter(Q(agents=user) | Q(lead=user)).values("pk")


def canned_reply_list_usable_by(user: User) -> QuerySet[CannedReply]:
    """The replies the user may read and post: staff all; a company's admins all of its
    replies; its agents the company-wide ones and those of the teams they are in. Other
    teams' replies stay out of an agent's list: they carry that team's procedures and
    the agent could not post them anyway."""
    replies = CannedReply.objects.select_related("company", "team", "created_by")
    if user.is_staff:
        return replies
    administered = company_ids_where(user, (Role.ADMIN,))
    served = company_ids_where(user, STAFF_ROLES)
    return replies.filter(
        Q(company_id__in=administered)
        | Q(company_id__in=served, team__isnull=True)
        | Q(team_id__in=_teams_of(user))
    )


def canned_reply_list_for_order(user: User, order: Order) -> QuerySet[CannedReply]:
    """The replies the user may post on this order: usable ones of the order's company."""
    return canned_reply_list_usable_by(user).filter(company_id=order.company_id)


def canned_reply_get_visible_to(user: User, pk: int) -> CannedReply:
    """A reply of one of the user's companies (any role: what they may do with it is the
    permission's call, 403); another company's is a 404."""
    replies = CannedReply.objects.select_related("company", "team", "created_by")
    if not user.is_staff:
        replies = replies.filter(company_id__in=company_ids_where(user))
    try:
        return replies.get(pk=pk)
    except (CannedReply.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def canned_reply_roles(user: User, reply: CannedReply) -> set[CannedReplyRole]:
    """What the user is to the reply, from the database (two queries at most)."""
    role = (
        Membership.objects.filter(user=user, company_id=reply.company_id)
        .values_list("role", flat=True)
        .first()
    )
    if role == Role.ADMIN:
        return {CannedReplyRole.ADMIN, CannedReplyRole.USER}
    if role != Role.AGENT:
        return set()
    if reply.team_id is None:
        return {CannedReplyRole.USER}
    roles = set()
    if reply.team.lead_id == user.pk:
        roles |= {CannedReplyRole.LEAD, CannedReplyRole.USER}
    elif reply.team.agents.filter(pk=user.pk).exists():
        roles.add(CannedReplyRole.USER)
    return roles


def serves_any_company(user: User) -> bool:
    """Staff, or an admin or agent somewhere: who may list canned replies at all."""
    return user.is_staff or company_ids_where(user, STAFF_ROLES).exists()


def rating_get_for(order: Order) -> SatisfactionRating:
    """The order's rating (the order already checked visible), or 404 `not_rated`."""
    try:
        return SatisfactionRating.objects.select_related("rated_by", "team", "agent").get(
            order=order
        )
    except SatisfactionRating.DoesNotExist as exc:
        raise NotFound(_("This order has not been rated."), code="not_rated") from exc


def _mean(value: float | None) -> float | None:
    return round(float(value), 2) if value is not None else None


def satisfaction_stats(orders: QuerySet[Order]) -> dict:
    """Mean score and count per team and per agent (the technician when it was rated) over
    the ratings of the given (scoped, filtered) orders, and over all of them. Two queries."""
    ratings = SatisfactionRating.objects.filter(order__in=orders.order_by().values("pk"))
    by_team = list(
        ratings.order_by()
        .values("team_id", "team__name")
        .annotate(count=Count("id"), mean=Avg("score"))
        .order_by("team__name", "team_id")
    )
    by_agent = list(
        ratings.order_by()
        .values("agent_id", "agent__name")
        .annotate(count=Count("id"), mean=Avg("score"))
        .order_by("agent__name", "agent_id")
    )
    count = sum(row["count"] for row in by_team)
    total = sum(row["mean"] * row["count"] for row in by_team)
    return {
        "count": count,
        "mean": _mean(total / count) if count else None,
        "by_team": [
            {
                "team": row["team_id"],
                "name": row["team__name"],
                "count": row["count"],
                "mean": _mean(row["mean"]),
            }
            for row in by_team
        ],
        "by_agent": [
            {
                "agent": row["agent_id"],
                "name": row["agent__name"],
                "count": row["count"],
                "mean": _mean(row["mean"]),
            }
            for row in by_agent
        ],
    }


def watcher_list_for(order: Order) -> QuerySet[OrderWatcher]:
    """The order's watchers (the order already checked visible), oldest first."""
    return order.watchers.select_related("user", "added_by").order_by("created_at", "id")


def watcher_get_for(order: Order, pk: int) -> OrderWatcher:
    try:
        return watcher_list_for(order).get(pk=pk)
    except (OrderWatcher.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def watcher_addable_people(order: Order) -> QuerySet[User]:
    """Who may watch the order: the active people of its company."""
    return User.objects.filter(memberships__company_id=order.company_id, is_active=True)
