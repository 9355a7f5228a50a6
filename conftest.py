"""Fixtures every app's tests share: an API client, users, logged-in clients, tenants."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.urls import get_resolver
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import token_pair_for
from companies.models import Company, Membership, Team
from companies.tests.factories import CompanyFactory, MembershipFactory, TeamFactory

Role = Membership.Role


@pytest.fixture(autouse=True, scope="session")
def _views_imported_before_any_clock_is_frozen():
    """Import every view (and with them DRF's throttles) before a test freezes time: a class
    that reads `time.time` into an attribute while freezegun runs (DRF's `timer`) would keep
    the fake clock for the rest of the run."""
    get_resolver().url_patterns  # noqa: B018 (imported for its side effect)


@pytest.fixture(autouse=True)
def _isolated_cache():
    # Throttle counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def client_for():
    """`client_for(user)` returns an APIClient that sends a valid access token for user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user).access}")
        return client

    return make


@pytest.fixture
def user_client(client_for, user) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_client(client_for, staff_user) -> APIClient:
    return client_for(staff_user)


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
    admin, lead, agent, requester = (
        MembershipFactory(company=company, role=role).user
        for role in (Role.ADMIN, Role.AGENT, Role.AGENT, Role.REQUESTER)
    )
    team = TeamFactory(company=company, lead=lead, agents=[lead, agent])
    return Tenant(
        company=company, admin=admin, lead=lead, agent=agent, requester=requester, team=team
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    """A second company: its objects must stay invisible to `tenant`'s people."""
    return make_tenant()


@pytest.fixture
def tenant_factory(db):
    """`tenant_factory()` makes one more company with a person in every role."""
    return make_tenant


def pytest_terminal_summary(terminalreporter):
    """The real-world mail corpus's outcomes (orders/tests/test_email_corpus.py), summed
    over its tests, whichever worker ran them."""
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    for prop, door in (
        ("corpus_counts", "POST inbound/email"),
        ("corpus_mailgun_counts", "Mailgun"),
    ):
        counts: dict[str, int] = {}
        for report in reports:
            for name, value in getattr(report, "user_properties", []):
                if name == prop:
                    for status, count in value.items():
                        counts[status] = counts.get(status, 0) + count
        if counts:
            outcomes = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
            terminalreporter.write_line(
                f"real-world mail corpus through {door}: "
                f"{sum(counts.values())} messages: {outcomes}"
            )
