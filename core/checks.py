"""System checks of the links e-mails carry (core.links)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

LINK_TEMPLATES = {"FRONTEND_ORDER_URL": "{id}", "FRONTEND_INVITATION_URL": "{token}"}


@register()
def link_templates_have_their_placeholder(app_configs, **kwargs) -> list[Error]:
    """A template without its placeholder would send every person to one page."""
    errors = []
    for name, placeholder in LINK_TEMPLATES.items():
        template = getattr(settings, name)
        try:
            broken = bool(template) and template.format_map({placeholder[1:-1]: 1}) == template
        except (KeyError, IndexError, ValueError):
            broken = True
        if broken:
            errors.append(
                Error(
                    f"{name} must contain {placeholder} and no other placeholder.",
                    hint=f"e.g. https://app.example/…/{placeholder}",
                    id="core.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def links_point_at_this_deployment(app_configs, **kwargs) -> list[Warning]:
    """Production e-mails must not link to a developer's machine or to raw API JSON."""
    warnings = []
    if settings.SITE_URL == settings.SITE_URL_DEFAULT:
        warnings.append(
            Warning(
                "SITE_URL is the development default: links in e-mails point at "
                f"{settings.SITE_URL_DEFAULT}.",
                hint="Set SITE_URL to this server's public address, e.g. https://api.example.",
                id="core.W001",
            )
        )
    if not settings.FRONTEND_ORDER_URL:
        warnings.append(
            Warning(
                "FRONTEND_ORDER_URL is not set: order e-mails link to the API's JSON.",
                hint="Set it to the front-end's order page, e.g. https://app.example/orders/{id}.",
                id="core.W002",
            )
        )
    return warnings
