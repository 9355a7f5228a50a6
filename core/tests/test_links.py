"""Links in e-mails (core.links) and the checks that keep them pointing somewhere real."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import link_templates_have_their_placeholder, links_point_at_this_deployment
from core.models import OutboundEmail
from orders.tests.mail import SECRET, message, post_json, result_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("front_end", "expected"),
    [
        ("", "https://api.example/api/v1/orders/{number}"),
        ("https://app.example/orders/{id}", "https://app.example/orders/{number}"),
    ],
)
def test_order_e_mails_link_to_the_front_end_when_one_is_set(
    api_client, tenant, settings, front_end, expected
):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.SITE_URL = "https://api.example"
    settings.FRONTEND_ORDER_URL = front_end

    created = result_of(
        post_json(api_client, message("ze@client.example", tenant.company.support_email))
    )

    link = expected.format(number=created["order"])
    ack = OutboundEmail.objects.get(to="ze@client.example")
    assert f"\n{link}\n" in ack.body_text
    assert f'<a href="{link}">' in ack.body_html


@pytest.mark.parametrize(
    ("order", "invitation", "errors"),
    [
        ("", "", []),
        ("https://app.example/orders/{id}", "https://app.example/join/{token}", []),
        ("https://app.example/orders/", "", ["core.E001"]),
        ("https://app.example/orders/{pk}", "https://app.example/join/{id}", ["core.E001"] * 2),
        ("https://app.example/orders/{", "", ["core.E001"]),
    ],
)
def test_a_link_template_needs_its_placeholder(settings, order, invitation, errors):
    settings.FRONTEND_ORDER_URL = order
    settings.FRONTEND_INVITATION_URL = invitation

    assert [error.id for error in link_templates_have_their_placeholder(None)] == errors


@pytest.mark.parametrize(
    ("site_url", "order", "warnings"),
    [
        ("http://127.0.0.1:8000", "", ["core.W001", "core.W002"]),
        ("https://api.example", "", ["core.W002"]),
        ("https://api.example", "https://app.example/orders/{id}", []),
    ],
)
def test_production_is_warned_about_default_links(settings, site_url, order, warnings):
    settings.SITE_URL = site_url
    settings.FRONTEND_ORDER_URL = order

    assert [warning.id for warning in links_point_at_this_deployment(None)] == warnings


def test_check_deploy_fails_on_the_default_site_url(settings):
    settings.SITE_URL = settings.SITE_URL_DEFAULT

    with pytest.raises(SystemCheckError, match=r"core\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
