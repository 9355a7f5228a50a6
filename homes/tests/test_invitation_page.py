"""The page an invitation e-mail links to (homes.pages): accept by clicking."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from homes.models import HomeInvitation, HomeMember

pytestmark = pytest.mark.django_db

STRONG = "a-long-unusual-passphrase"


@pytest.fixture
def invite(client_for, house, django_capture_on_commit_callbacks):
    """Invite an address; give back the link the e-mail carries."""

    def invite(email: str, role: str = "resident") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(house.admin).post(
                f"/api/v1/homes/{house.home.pk}/members", {"email": email, "role": role}
            )
        assert response.status_code == 201, response.content
        return re.search(r"^(http\S+)$", mail.outbox[-1].body, re.MULTILINE).group(1)

    return invite


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def _form_post(browser: Client, link: str, data: dict):
    page = browser.get(link)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return browser.post(link, {**data, "csrfmiddlewaretoken": token.group(1)})


def test_the_e_mail_links_to_the_page_on_site_url(settings, invite):
    settings.SITE_URL = "https://casa.example"

    link = invite("zoe@example.com")

    assert link.startswith("https://casa.example/invitations/")
    assert f'href="{link}"' in mail.outbox[-1].alternatives[0][0]


def test_a_front_end_template_replaces_the_link(settings, invite):
    settings.FRONTEND_INVITATION_URL = "https://app.example/join/{token}/"

    link = invite("zoe@example.com")

    assert link.startswith("https://app.example/join/")


def test_opening_the_link_shows_the_invitation_and_changes_nothing(browser, house, invite):
    link = invite("zoe@example.com")

    page = browser.get(link)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Casa Azul" in text and "Ana Admin" in text and "zoe@example.com" in text
    assert 'name="name"' in text  # no account yet: the form asks for a name
    assert HomeInvitation.objects.get().accepted_at is None
    assert not User.objects.filter(email="zoe@example.com").exists()


def test_a_new_person_creates_the_account_and_joins(browser, house, invite, api_client):
    link = invite("zoe@example.com", role="admin")

    joined = _form_post(browser, link, {"name": "Zoe", "password": STRONG})

    assert joined.status_code == 200
    assert "You joined “Casa Azul”" in joined.content.decode()
    zoe = User.objects.get(email="zoe@example.com")
    assert zoe.name == "Zoe"
    assert HomeMember.objects.get(home=house.home, user=zoe).role == "admin"
    assert HomeInvitation.objects.get().accepted_at is not None
    login = api_client.post("/api/v1/auth/login", {"email": "zoe@example.com", "password": STRONG})
    assert login.status_code == 200
    # The link is spent.
    assert browser.get(link).status_code == 404


def test_an_existing_account_joins_with_its_password(browser, house, invite):
    link = invite("zoe@example.com")
    zoe = UserFactory(email="zoe@example.com")

    page = browser.get(link)
    assert 'name="name"' not in page.content.decode()
    joined = _form_post(browser, link, {"password": PASSWORD})

    assert joined.status_code == 200
    assert HomeMember.objects.filter(home=house.home, user=zoe).exists()


def test_a_wrong_password_is_a_400_and_joins_nothing(browser, house, invite):
    link = invite("zoe@example.com")
    zoe = UserFactory(email="zoe@example.com")

    refused = _form_post(browser, link, {"password": "not-the-password"})

    assert refused.status_code == 400
    assert "Wrong password for zoe@example.com." in refused.content.decode()
    assert not HomeMember.objects.filter(user=zoe).exists()
    assert HomeInvitation.objects.get().accepted_at is None


def test_a_weak_password_creates_no_account(browser, house, invite):
    link = invite("zoe@example.com")

    refused = _form_post(browser, link, {"name": "Zoe", "password": "123"})

    assert refused.status_code == 400
    assert not User.objects.filter(email="zoe@example.com").exists()
    assert HomeInvitation.objects.get().accepted_at is None


def test_a_post_without_the_csrf_token_is_refused(browser, house, invite):
    link = invite("zoe@example.com")

    assert browser.post(link, {"name": "Zoe", "password": STRONG}).status_code == 403
    assert not User.objects.filter(email="zoe@example.com").exists()


@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_an_unknown_or_spent_token_is_a_404_page(browser, token):
    response = browser.get(f"/invitations/{token or 'x'}/")

    assert response.status_code == 404
    assert "does not exist or has expired" in response.content.decode()
