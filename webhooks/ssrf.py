"""Which URLs a webhook may be sent to: the guard against server-side request forgery.

A company admin chooses the URL, and our servers POST to it: without this guard an admin
could make them call the cloud metadata service (169.254.169.254), the database, Redis or
anything else on the private network. The rules:

- `https` only (`http` when `WEBHOOKS_ALLOW_HTTP`, which defaults to `DEBUG`); no user or
  password in the URL; a host name or a dotted-quad / bracketed IPv6 address. Other numeric
  forms (`2130706433`, `0177.0.0.1`, `127.1`, `0x7f.1`) are refused outright: parsers
  disagree about them, and what we check must be what is connected to.
- No local names (`localhost`, `*.localhost`, `*.local`, `*.internal`, a name without a dot).
- Every address the host resolves to must be public: not loopback, private, link-local,
  CGNAT (100.64/10), multicast, reserved, unspecified, IPv6 unique-local, nor an IPv4 of
  those wrapped in IPv6 (`::ffff:127.0.0.1`, 6to4, NAT64).
  `WEBHOOKS_ALLOW_PRIVATE_TARGETS` lifts this one rule (tests that deliver to a local server).

`target_resolve` is called when an endpoint is registered (a refusal is a 400) and again
right before each delivery: the sender then connects to the very address that was checked
(`Target.address`), so a DNS answer that changes in between cannot redirect it.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.exceptions import FieldError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
# IANA's special-purpose ranges, refused whatever Python's tables (which change between
# releases) say: private, CGNAT, loopback, link-local, documentation, benchmarking, 6to4
# relays, multicast, reserved; for IPv6 also unique- and site-local, Teredo, ORCHID.
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What a path or query keeps as it is when percent-encoding the rest (RFC 3986 pchar).
URL_SAFE = "/%:@!$&'()*+,;=-._~"
# What looks like an IPv4 address in a form other than a.b.c.d (decimal, octal, hex, short).
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]*))*\.?$", re.IGNORECASE)


class UnsafeUrl(FieldError):
    """The URL may not receive webhooks; reported against the `url` field (400)."""

    def __init__(self, message, *, code: str = "url_not_allowed") -> None:
        super().__init__("url", message, code=code)


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str  # as written in the URL (lower-cased, IDNA-encoded): Host header, TLS name
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the resolved and checked IP address the connection is made to


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (a true boundary: tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_is_public(address: IPAddress) -> bool:
    """True when the address is reachable on the public Internet, and only there."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(embedded)
    if any(
        address in network for network in BLOCKED_NETWORKS if network.version == address.version
    ):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def url_check(url: str) -> SplitResult:
    """Refuse (UnsafeUrl) a URL that breaks the rules that need no DNS: scheme, user info,
    host form, local names. Returns the split URL."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise UnsafeUrl(_("Enter a valid URL."), code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(_("Enter a valid URL."), code="invalid") from exc
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl(_("The URL must start with https://."), code="url_scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl(_("The URL may not carry a user name or password."))
    host = parts.hostname or ""
    if not host:
        raise UnsafeUrl(_("Enter a valid URL."), code="invalid")
    if port == 0:
        raise UnsafeUrl(_("Enter a valid URL."), code="invalid")
    literal = _ip_literal(host)
    if literal is None:
        _check_name(host)
    return parts


def _ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if NUMERIC_HOST.match(host):
        raise UnsafeUrl(_("Write an IP address as four decimal numbers (a.b.c.d)."))
    return None


def _check_name(host: str) -> None:
    name = host.rstrip(".")
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES) or "." not in name:
        raise UnsafeUrl(_("The URL must name a public host."))
    try:
        name.encode("idna")
    except UnicodeError as exc:
        raise UnsafeUrl(_("Enter a valid URL."), code="invalid") from exc


def target_resolve(url: str) -> Target:
    """Check the URL and resolve its host; raise UnsafeUrl unless every address it resolves
    to may be called. Returns where to connect (the first address)."""
    parts = url_check(url)
    scheme = parts.scheme
    port = parts.port or (443 if scheme == "https" else 80)
    host = parts.hostname or ""
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        host = host.rstrip(".").encode("idna").decode("ascii")
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeUrl(
                _("The URL's host name does not resolve."), code="url_unresolved"
            ) from exc
        if not addresses:
            raise UnsafeUrl(_("The URL's host name does not resolve."), code="url_unresolved")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not address_is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise UnsafeUrl(_("The URL must point to a public address."), code="url_private")
    # Non-ASCII in the path or query is sent percent-encoded; existing escapes are kept.
    path = quote(parts.path or "/", safe=URL_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=URL_SAFE + '?')}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
