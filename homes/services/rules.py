"""The home's rules."""

from django.db import transaction

from accounts.models import User
from homes.models import Home, Rule


@transaction.atomic
def rule_create(*, home: Home, user: User, text: str) -> Rule:
    """Add one house rule."""
    return Rule.objects.create(home=home, created_by=user, text=text)


@transaction.atomic
def rule_update(*, rule: Rule, text: str) -> Rule:
    """Rewrite one house rule."""
    rule.text = text
    rule.save(update_fields=["text", "updated_at"])
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule) -> None:
    """Delete one house rule."""
    rule.delete()
