"""Providers' inbound webhooks (through django-anymail) take the same path as ours."""

import logging

from anymail.signals import AnymailInboundEvent, inbound
from django.dispatch import receiver

from orders.email.services import inbound_park, inbound_receive_raw

logger = logging.getLogger(__name__)


@receiver(inbound, dispatch_uid="orders-email-inbound")
def receive_from_provider(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Hand the provider's message, as raw MIME, to the channel; a message anymail could
    not turn back into bytes is parked, so the provider gets its 200 and stops retrying."""
    message = event.message
    try:
        raw = message.as_bytes()
    except Exception as exc:
        logger.warning("Inbound e-mail from %s could not be serialised: %r", esp_name, exc)
        inbound_park(raw=repr(event.esp_event).encode(), reason=repr(exc), source=esp_name)
        return
    inbound_receive_raw(
        raw=raw, source=esp_name, envelope_recipient=message.envelope_recipient or ""
    )
