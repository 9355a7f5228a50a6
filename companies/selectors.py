"""Querysets of companies, members and teams, scoped to the person asking."""

from django.db.models import QuerySet

from accounts.models import User
from companies.models import Company, Membership, Team
from core.exceptions import NotFound

Role = Membership.Role
STAFF_ROLES = (Role.ADMIN, Role.AGENT)


def company_ids_where(user: User, roles=tuple(Role)) -> QuerySet:
    """Ids of the companies where the user holds one of `roles`, as a subquery."""
    return Membership.objects.filter(user=user, role__in=roles).values("company_id")


def company_list_visible_to(user: User) -> QuerySet[Company]:
    """Staff see every company; everyone else the companies they belong to."""
    if user.is_staff:
        return Company.objects.all()
    return Company.objects.filter(pk__in=company_ids_where(user))


def company_get_visible_to(user: User, pk: int) -> Company:
    try:
        return company_list_visible_to(user).get(pk=pk)
    except (Company.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def membership_role(user: User, company_id: int) -> str | None:
    """The user's role in the company, read from the database on each request."""
    return (
        Membership.objects.filter(user=user, company_id=company_id)
        .values_list("role", flat=True)
        .first()
    )


def member_list_of(company: Company) -> QuerySet[Membership]:
    return Membership.objects.filter(company=company).select_related("user").order_by("id")


def member_get(company: Company, user_id: int) -> Membership:
    try:
        return member_list_of(company).get(user_id=user_id)
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def team_list_visible_to(user: User) -> QuerySet[Team]:
    """Teams of the companies the user belongs to (all of them for staff)."""
    teams = Team.objects.select_related("company", "lead").prefetch_related("agents")
    if user.is_staff:
        return teams
    return teams.filter(company_id__in=company_ids_where(user))


def team_get_visible_to(user: User, pk: int) -> Team:
    try:
        return team_list_visible_to(user).get(pk=pk)
    except (Team.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def user_ids_in_companies_administered_by(user: User) -> QuerySet:
    """Ids of the members of every company the user administers (for the people list)."""
    return Membership.objects.filter(
        company_id__in=company_ids_where(user, roles=(Role.ADMIN,))
    ).values("user_id")
