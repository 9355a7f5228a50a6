"""The SSRF guard: which URLs may be registered, and the check again before each attempt."""

import ipaddress

import pytest

from webhooks import services, ssrf
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"


def _register(client_for, tenant, url: str):
    return client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.id}/webhooks",
        {"url": url, "events": ["order.created"]},
        format="json",
    )


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://erp.example.com/hook", "url_scheme"),  # http outside DEBUG
        ("http://127.0.0.1/hook", "url_scheme"),
        ("ftp://erp.example.com/hook", "url_scheme"),
        ("erp.example.com/hook", "url_scheme"),
        ("javascript:alert(1)", "url_scheme"),
        ("https://127.0.0.1/hook", "url_private"),  # loopback
        ("https://127.8.9.10/", "url_private"),
        ("https://10.0.0.1/", "url_private"),  # private
        ("https://172.16.5.4/", "url_private"),
        ("https://192.168.1.1/", "url_private"),
        ("https://169.254.169.254/latest/meta-data/", "url_private"),  # link-local, metadata
        ("https://100.64.0.1/", "url_private"),  # CGNAT
        ("https://224.0.0.1/", "url_private"),  # multicast
        ("https://240.0.0.1/", "url_private"),  # reserved
        ("https://0.0.0.0/", "url_private"),  # unspecified
        ("https://255.255.255.255/", "url_private"),  # broadcast
        ("https://[::1]/", "url_private"),
        ("https://[::]/", "url_private"),
        ("https://[fd00::1]/", "url_private"),  # unique-local
        ("https://[fe80::1]/", "url_private"),  # link-local
        ("https://[ff02::1]/", "url_private"),  # multicast
        ("https://[::ffff:127.0.0.1]/", "url_private"),  # IPv4-mapped
        ("https://[::ffff:a9fe:a9fe]/", "url_private"),  # mapped 169.254.169.254, in hex
        ("https://[64:ff9b::a00:1]/", "url_private"),  # NAT64 of 10.0.0.1
        ("https://[2002:7f00:1::]/", "url_private"),  # 6to4 of 127.0.0.1
        ("https://2130706433/", "url_not_allowed"),  # 127.0.0.1 in decimal
        ("https://0177.0.0.1/", "url_not_allowed"),  # octal
        ("https://0x7f.0.0.1/", "url_not_allowed"),  # hex
        ("https://0x7f000001/", "url_not_allowed"),
        ("https://127.1/", "url_not_allowed"),  # short form
        ("https://017700000001/", "url_not_allowed"),
        ("https://user@erp.example.com/", "url_not_allowed"),  # user info
        ("https://user:secret@erp.example.com/", "url_not_allowed"),
        ("https://erp.example.com@127.0.0.1/", "url_not_allowed"),
        ("https://localhost/", "url_not_allowed"),
        ("https://LOCALHOST./", "url_not_allowed"),
        ("https://api.localhost/", "url_not_allowed"),
        ("https://printer.local/", "url_not_allowed"),
        ("https://metadata.google.internal/", "url_not_allowed"),
        ("https://intranet/", "url_not_allowed"),  # one label
        ("https://loopback.example.com/", "url_private"),  # a name resolving to loopback
        ("https://mixed.example.com/", "url_private"),  # one private answer is enough
        ("https://mapped.example.com/", "url_private"),
        ("https://nowhere.invalid/", "url_unresolved"),
        ("https:///no-host", "invalid"),
        ("https://erp.example.com:99999/", "invalid"),
        ("https://erp.example.com:0/", "invalid"),
        ("https://[::1/", "invalid"),
    ],
)
def test_a_url_the_guard_refuses_is_a_400_and_nothing_is_stored(client_for, tenant, dns, url, code):
    dns["loopback.example.com"] = ["127.0.0.1"]
    dns["mixed.example.com"] = ["93.184.215.14", "10.1.2.3"]
    dns["mapped.example.com"] = ["::ffff:10.0.0.1"]

    response = _register(client_for, tenant, url)

    assert response.status_code == 400, response.content
    assert response.json()["errors"]["url"], response.json()
    assert not WebhookEndpoint.objects.exists()
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        ssrf.target_resolve(url)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks",
        "https://erp.example.com:8443/hooks?team=2",
        "https://ERP.example.com./hooks",
        "https://93.184.215.14/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "https://bücher.example.com/hook",
    ],
)
def test_a_public_https_url_is_accepted(client_for, tenant, url):
    response = _register(client_for, tenant, url)
    assert response.status_code == 201, response.content
    assert WebhookEndpoint.objects.get().url == url


def test_http_is_accepted_only_when_allowed(client_for, tenant, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert _register(client_for, tenant, "http://erp.example.com/hook").status_code == 201
    # http does not lift the address rules
    response = _register(client_for, tenant, "http://127.0.0.1/hook")
    assert response.status_code == 400
    assert WebhookEndpoint.objects.count() == 1


def test_private_targets_are_accepted_only_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert ssrf.target_resolve("https://10.0.0.1:8443/x").address == "10.0.0.1"
    # the rules that need no DNS still hold
    for url in ("https://localhost/", "https://2130706433/", "https://u@10.0.0.1/"):
        with pytest.raises(ssrf.UnsafeUrl):
            ssrf.target_resolve(url)


def test_the_target_is_the_checked_address(dns):
    dns["erp.example.com"] = ["2606:2800:220:1::1", "93.184.215.14"]
    target = ssrf.target_resolve("https://ERP.Example.com:8443/in?x=1")
    assert target == ssrf.Target(
        scheme="https",
        host="erp.example.com",
        port=8443,
        path="/in?x=1",
        address="2606:2800:220:1::1",
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.255.255.255", False),
        ("100.127.255.254", False),
        ("192.0.0.8", False),
        ("198.18.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("::ffff:192.168.0.1", False),
        ("64:ff9b::808:808", True),
        ("64:ff9b::7f00:1", False),
        ("2002:a00:1::", False),
        ("fc00::1", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert ssrf.address_is_public(ipaddress.ip_address(address)) is public


def test_a_name_that_turns_private_after_registration_is_refused_before_sending(tenant, dns):
    # given: an endpoint registered while its name was public
    endpoint = WebhookEndpointFactory(company=tenant.company, url="https://rebind.example.com/")
    dns["rebind.example.com"] = ["127.0.0.1"]  # its DNS now answers loopback
    delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=tenant.admin)

    # when
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) is True

    # then: no connection was made; the attempt is logged and will be retried
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.response_code is None
    assert delivery.error == "Refused: The URL must point to a public address."


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/in\r\nX-Injected: 1",
        "https://erp.example.com/a b",
        "https://erp.example.com/\x00",
        "https://erp.example.com/\ta",
    ],
)
def test_a_url_with_spaces_or_control_characters_is_refused(client_for, tenant, url):
    response = _register(client_for, tenant, url)
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_a_non_ascii_path_is_sent_percent_encoded():
    target = ssrf.target_resolve("https://erp.example.com/ação?q=é&x=%20")
    assert target.path == "/a%C3%A7%C3%A3o?q=%C3%A9&x=%20"
