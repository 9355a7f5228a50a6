"""Every change to companies, memberships and teams."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import user_disable, user_register, user_update
from companies.models import Company, Membership, Team
from core.exceptions import Conflict, FieldError, Forbidden
from core.services import model_update

Role = Membership.Role
# The User fields a company admin may set for the accounts the company alone manages.
MEMBER_PROFILE_FIELDS = ("name", "position", "phone", "birth_date")
COMPANY_EDITABLE_FIELDS = (
    "legal_name",
    "trading_name",
    "support_email",
    "phone",
    "address",
    "time_zone",
    "accepts_new_requesters_by_email",
    "closed_order_reply",
)


class CompanyInactive(Forbidden):
    default_code = "company_inactive"
    default_message = _("This company is awaiting activation by the platform team.")


def company_require_active(company: Company) -> None:
    """Writes that act for a company need it active (staff activate new companies)."""
    if not company.is_active:
        raise CompanyInactive()


def _check_unique_support_email(email: str | None, exclude_pk: int | None = None) -> None:
    if email and Company.objects.filter(support_email=email).exclude(pk=exclude_pk).exists():
        raise FieldError(
            "support_email", _("Another company already uses this support e-mail."), code="unique"
        )


@transaction.atomic
def company_register(
    *, founder: User | None, data: dict[str, Any], admin: dict[str, Any] | None = None
) -> Company:
    """Register a company (inactive until staff activate it) with its first admin: the
    logged-in founder, or a new account created from `admin`."""
    if Company.objects.filter(cnpj=data["cnpj"]).exists():
        raise FieldError(
            "cnpj", _("A company with this CNPJ is already registered."), code="unique"
        )
    _check_unique_support_email(data.get("support_email"))
    if founder is None:
        if not admin:
            raise FieldError("admin", _("Give the first admin's e-mail, name and password."))
        founder = user_register(**admin)
    fields = {key: data[key] for key in ("cnpj", *COMPANY_EDITABLE_FIELDS) if key in data}
    try:
        with transaction.atomic():
            company = Company.objects.create(**fields, is_active=False)
    except IntegrityError as exc:
        raise FieldError(
            "cnpj", _("A company with this CNPJ is already registered."), code="unique"
        ) from exc
    Membership.objects.create(user=founder, company=company, role=Role.ADMIN)
    return company


@transaction.atomic
def company_update(*, company: Company, data: dict[str, Any]) -> Company:
    """Change the company's details. The CNPJ and the active flag are not editable here."""
    if "support_email" in data:
        _check_unique_support_email(data["support_email"], exclude_pk=company.pk)
    company, _changed = model_update(instance=company, data=data, fields=COMPANY_EDITABLE_FIELDS)
    return company


@transaction.atomic
def company_set_active(*, company: Company, is_active: bool) -> Company:
    """Activate or deactivate a company (staff; DELETE by its admin deactivates)."""
    Company.objects.filter(pk=company.pk).update(is_active=is_active)
    company.refresh_from_db()
    return company


def _lock_user(user_id: int) -> User:
    # The person's row is the lock: adding them to a company and a company admin changing
    # or closing their account take it first, so "belongs to no other company" holds.
    return User.objects.select_for_update().get(pk=user_id)


def _ensure_company_manages_account(user: User, company: Company) -> None:
    """A company admin changes a person's account (profile, active flag) only when that
    account is the company's alone: not platform staff, and a member of no other company.
    Anyone else's account is theirs (or another company's) to change."""
    if user.is_staff:
        raise Conflict(
            _("This person is platform staff; a company cannot change their account."),
            code="account_is_staff",
        )
    if Membership.objects.filter(user=user).exclude(company=company).exists():
        raise Conflict(
            _("This person also belongs to another company; only they can change their account."),
            code="account_shared",
        )


def _member_profile_set(
    *, user: User, company: Company, profile: dict[str, Any], acting_on_self: bool = False
) -> User:
    """Apply the profile fields that change anything (a form that sends the values again
    is not refused)."""
    changes = {
        key: value
        for key, value in profile.items()
        if key in MEMBER_PROFILE_FIELDS and getattr(user, key) != value
    }
    if not changes:
        return user
    if not acting_on_self:
        _ensure_company_manages_account(user, company)
    return user_update(user=user, data=changes)


@transaction.atomic
def member_add(
    *,
    company: Company,
    email: str,
    role: str,
    password: str | None = None,
    **profile: Any,
) -> Membership:
    """Add a person to the company: an existing account by e-mail, or a new account with
    `name` and `password`. Profile fields (name, position, phone, birth date) are set on a
    new account, and on an existing one only if the company alone would manage it."""
    company_require_active(company)
    user = User.objects.filter(email=User.objects.normalize_email(email)).first()
    if user is None:
        if not profile.get("name") or not password:
            raise FieldError(
                "email",
                _("No account has this e-mail; give a name and a first password to create one."),
                code="unknown_user",
            )
        user = user_register(email=email, password=password, **profile)
    else:
        user = _lock_user(user.pk)
        if Membership.objects.filter(user=user, company=company).exists():
            raise Conflict(
                _("This person is already a member of the company."), code="already_member"
            )
        _member_profile_set(user=user, company=company, profile=profile)
    try:
        with transaction.atomic():
            return Membership.objects.create(user=user, company=company, role=role)
    except IntegrityError as exc:
        raise Conflict(
            _("This person is already a member of the company."), code="already_member"
        ) from exc


def _ensure_another_admin_remains(membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    admins = Membership.objects.select_for_update().filter(
        company_id=membership.company_id, role=Role.ADMIN
    )
    if admins.exclude(pk=membership.pk).count() == 0:
        raise Conflict(_("A company needs at least one admin."), code="last_admin")


@transaction.atomic
def member_change_role(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; the last admin cannot step down."""
    company_require_active(membership.company)
    if role != membership.role:
        if role != Role.ADMIN:
            _ensure_another_admin_remains(membership)
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        if role == Role.REQUESTER:
            _remove_from_teams(membership)
    return membership


@transaction.atomic
def member_update(*, membership: Membership, actor: User, data: dict[str, Any]) -> Membership:
    """Change a member's role and, for an account the company alone manages (or the
    admin's own), their name, position, phone and birth date. All or nothing."""
    company_require_active(membership.company)
    profile = {key: data[key] for key in MEMBER_PROFILE_FIELDS if key in data}
    if profile:
        membership.user = _member_profile_set(
            user=_lock_user(membership.user_id),
            company=membership.company,
            profile=profile,
            acting_on_self=membership.user_id == actor.pk,
        )
    if "role" in data:
        membership = member_change_role(membership=membership, role=data["role"])
    return membership


@transaction.atomic
def member_deactivate(*, membership: Membership, actor: User) -> Membership:
    """A company admin turns off a member's account: every session ends and logging in
    does not reopen it. Only for an account the company alone manages (409 otherwise), and
    not one's own (that is `DELETE users/me`). The membership stays."""
    company_require_active(membership.company)
    if membership.user_id == actor.pk:
        raise Conflict(
            _("Close your own account with DELETE /api/v1/users/me."), code="own_account"
        )
    user = _lock_user(membership.user_id)
    _ensure_company_manages_account(user, membership.company)
    if user.is_active or user.deactivated_by_owner:
        user_disable(user=user)
    membership.user = user
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Remove a person from the company and its teams; the last admin cannot be removed."""
    company_require_active(membership.company)
    _ensure_another_admin_remains(membership)
    _remove_from_teams(membership)
    membership.delete()


def _remove_from_teams(membership: Membership) -> None:
    teams = Team.objects.filter(company_id=membership.company_id)
    Team.agents.through.objects.filter(team__in=teams, user_id=membership.user_id).delete()
    teams.filter(lead_id=membership.user_id).update(lead=None)


def _check_team_people(company: Company, lead: User | None, agents: list[User]) -> None:
    people = {user.pk for user in agents} | ({lead.pk} if lead else set())
    eligible = set(
        Membership.objects.filter(
            company=company, user_id__in=people, role__in=(Role.ADMIN, Role.AGENT)
        ).values_list("user_id", flat=True)
    )
    if lead and lead.pk not in eligible:
        raise FieldError("lead", _("The lead must be an agent or admin of the company."))
    if people - eligible - ({lead.pk} if lead else set()):
        raise FieldError("agents", _("Every team member must be an agent or admin of the company."))


@transaction.atomic
def team_create(
    *, company: Company, name: str, lead: User | None = None, agents: list[User] | None = None
) -> Team:
    """Create a team of the company; its lead and agents must be the company's agents or admins."""
    company_require_active(company)
    agents = agents or []
    _check_team_people(company, lead, agents)
    if Team.objects.filter(company=company, name__iexact=name).exists():
        raise FieldError("name", _("The company already has a team with this name."), code="unique")
    team = Team.objects.create(company=company, name=name, lead=lead)
    team.agents.set(agents)
    return team


@transaction.atomic
def team_update(*, team: Team, data: dict[str, Any]) -> Team:
    company_require_active(team.company)
    lead = data.get("lead", team.lead)
    agents = data.get("agents", list(team.agents.all()))
    _check_team_people(team.company, lead, agents)
    if "name" in data and (
        Team.objects.filter(company_id=team.company_id, name__iexact=data["name"])
        .exclude(pk=team.pk)
        .exists()
    ):
        raise FieldError("name", _("The company already has a team with this name."), code="unique")
    team, _changed = model_update(instance=team, data=data, fields=("name", "lead"))
    if "agents" in data:
        team.agents.set(agents)
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team; its orders keep existing, without a team."""
    company_require_active(team.company)
    team.delete()
