"""Providers' inbound webhooks (through django-anymail) take the same path as ours.

A provider's door answers only when that provider is listed in `INBOUND_EMAIL_PROVIDERS`
(anything else is 404, as if it did not exist), and only to requests carrying its
credentials: anymail's `WEBHOOK_SECRET` as HTTP basic auth, always, plus the provider's
own signing key where the provider signs its calls. A listed provider without them
answers 403 to everyone (and `check --deploy` warns); without basic auth, 401.
"""

import logging
from dataclasses import dataclass

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent, inbound
from anymail.utils import get_anymail_setting, get_request_basic_auth
from anymail.webhooks import (
    amazon_ses,
    brevo,
    mailersend,
    mailgun,
    mailjet,
    mailtrap,
    mandrill,
    postal,
    postmark,
    resend,
    sendgrid,
    sparkpost,
)
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from orders.email.services import inbound_park, inbound_receive_raw

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provider:
    """One provider's inbound door: anymail's view, and the anymail settings (any one of
    them) holding the key the provider signs its calls with, if it signs them."""

    esp_name: str
    view: type
    signing_settings: tuple[str, ...] = ()

    def signing_key_is_set(self) -> bool:
        return not self.signing_settings or any(
            get_anymail_setting(name, esp_name=self.esp_name, default=None, allow_bare=True)
            for name in self.signing_settings
        )


PROVIDERS = {
    "amazon_ses": Provider("Amazon SES", amazon_ses.AmazonSESInboundWebhookView),
    "brevo": Provider("Brevo", brevo.BrevoInboundWebhookView),
    "mailersend": Provider(
        "MailerSend", mailersend.MailerSendInboundWebhookView, ("inbound_secret",)
    ),
    "mailgun": Provider(
        "Mailgun", mailgun.MailgunInboundWebhookView, ("webhook_signing_key", "api_key")
    ),
    "mailjet": Provider("Mailjet", mailjet.MailjetInboundWebhookView),
    "mailtrap": Provider("Mailtrap", mailtrap.MailtrapInboundWebhookView, ("inbound_secret",)),
    "mandrill": Provider("Mandrill", mandrill.MandrillCombinedWebhookView, ("webhook_key",)),
    "postal": Provider("Postal", postal.PostalInboundWebhookView, ("webhook_key",)),
    "postmark": Provider("Postmark", postmark.PostmarkInboundWebhookView),
    "resend": Provider("Resend", resend.ResendInboundWebhookView, ("inbound_secret",)),
    "sendgrid": Provider("SendGrid", sendgrid.SendGridInboundWebhookView),
    "sparkpost": Provider("SparkPost", sparkpost.SparkPostInboundWebhookView),
}
_VIEWS = {name: provider.view.as_view() for name, provider in PROVIDERS.items()}


def webhook_secrets() -> list[str]:
    """anymail's WEBHOOK_SECRET: one "user:password" or a list of them (while rotating)."""
    secret = get_anymail_setting("webhook_secret", default=None)
    if not secret:
        return []
    return [secret] if isinstance(secret, str) else [value for value in secret if value]


def missing_credentials(name: str) -> list[str]:
    """What a listed provider's door still needs before it answers anybody."""
    missing = [] if webhook_secrets() else ["ANYMAIL['WEBHOOK_SECRET']"]
    provider = PROVIDERS[name]
    if not provider.signing_key_is_set():
        prefix = provider.esp_name.replace(" ", "_").upper()
        missing.append(
            " or ".join(f"ANYMAIL['{prefix}_{s.upper()}']" for s in provider.signing_settings)
        )
    return missing


def _refusal(status: int, code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="inbound e-mail"'
    return response


def _carries_webhook_secret(request) -> bool:
    sent = get_request_basic_auth(request) or ""
    return any(constant_time_compare(sent, secret) for secret in webhook_secrets())


@csrf_exempt
def provider_inbound(request, provider: str) -> HttpResponse:
    """The door of one provider (see the module's docstring), in front of anymail's view."""
    if provider not in PROVIDERS or provider not in settings.INBOUND_EMAIL_PROVIDERS:
        raise Http404
    if request.method != "POST":  # HEAD: the provider checking the URL; GET: 405
        return _VIEWS[provider](request)
    if missing_credentials(provider):
        return _refusal(403, "not_configured", _("Inbound e-mail is not configured."))
    if not _carries_webhook_secret(request):
        return _refusal(
            401,
            "not_authenticated",
            _("Authentication credentials were not provided or are wrong."),
        )
    try:
        return _VIEWS[provider](request)
    except AnymailWebhookValidationFailure as exc:  # the provider's own signature
        logger.warning("Refused a %s inbound call: %s", provider, exc)
        return _refusal(
            403, "signature_invalid", _("The request signature is missing, wrong or expired.")
        )


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
