"""System checks of the orders app: the e-mail channel's doors are not left open by accident
(`check --deploy`), and uploads can be checked as every type they are allowed."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def provider_doors_have_credentials(app_configs, **kwargs) -> list[Warning]:
    """A listed provider without its credentials refuses every call: say so before a
    provider's mail goes nowhere (and a name we do not know is a typo)."""
    from orders.email.webhooks import PROVIDERS, missing_credentials

    warnings = []
    for name in settings.INBOUND_EMAIL_PROVIDERS:
        if name not in PROVIDERS:
            warnings.append(
                Warning(
                    f"INBOUND_EMAIL_PROVIDERS names {name!r}, which is not a provider.",
                    hint=f"Use some of: {', '.join(sorted(PROVIDERS))}.",
                    id="orders.W002",
                )
            )
        elif missing := missing_credentials(name):
            warnings.append(
                Warning(
                    f"The {name} inbound webhook is mounted without its credentials: it "
                    "refuses every call.",
                    hint=f"Set {' and '.join(missing)} (docs/email.md).",
                    id="orders.W001",
                )
            )
    return warnings


@register()
def attachment_types_are_known(app_configs, **kwargs) -> list[Error]:
    """An allowed type whose extensions and content nobody knows how to check could never
    be uploaded: a typo in ATTACHMENT_ALLOWED_TYPES, said at start-up."""
    from orders.files import KINDS

    return [
        Error(
            f"ATTACHMENT_ALLOWED_TYPES names {name!r}, a type uploads cannot be checked as.",
            hint=f"Use some of: {', '.join(sorted(KINDS))}.",
            id="orders.E001",
        )
        for name in settings.ATTACHMENT_ALLOWED_TYPES
        if name not in KINDS
    ]
