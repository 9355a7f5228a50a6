from dataclasses import dataclass

import pytest

from accounts.models import User
from companies.models import Company, Membership, Team
from companies.tests.factories import CompanyFactory, MembershipFactory, TeamFactory

Role = Membership.Role


@dataclass
class Tenant:
    """One company with a person in every role and a team led by `lead`."""

    company: Company
    admin: User
    lead: User
    agent: User
    requester: User
    team: Team


def make_tenant(**company_fields) -> Tenant:
    company = CompanyFactory(**company_fields)
    people = {
        role: MembershipFactory(company=company, role=role).user
        for role in ("admin", "lead", "agent", "requester")
    }
    Membership.objects.filter(company=company, user=people["lead"]).update(role=Role.AGENT)
    Membership.objects.filter(company=company, user=people["agent"]).update(role=Role.AGENT)
    Membership.objects.filter(company=company, user=people["admin"]).update(role=Role.ADMIN)
    team = TeamFactory(
        company=company, lead=people["lead"], agents=[people["lead"], people["agent"]]
    )
    return Tenant(company=company, team=team, **people)


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant()
