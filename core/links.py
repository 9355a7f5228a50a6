"""The links e-mails carry: to a front-end when one is configured, else to this server.

`SITE_URL` is where people reach this server. `FRONTEND_ORDER_URL` and
`FRONTEND_INVITATION_URL` are templates (`https://app.example/orders/{id}`,
`https://app.example/join/{token}`) for a front-end's own pages; README lists them.
"""

from django.conf import settings


def order_link(order_id: int) -> str:
    """Where a person reads an order: the front-end's page, or the API's order."""
    if settings.FRONTEND_ORDER_URL:
        return settings.FRONTEND_ORDER_URL.format(id=order_id)
    return f"{settings.SITE_URL}/api/v1/orders/{order_id}"


def invitation_link(token: str) -> str:
    """Where an invited person accepts: the front-end's page, or this server's own page."""
    if settings.FRONTEND_INVITATION_URL:
        return settings.FRONTEND_INVITATION_URL.format(token=token)
    return f"{settings.SITE_URL}/invitations/{token}/"
