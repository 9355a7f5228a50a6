"""Shared writes: `model_update` for every service that edits a row's fields, and the e-mail
outbox (write in the caller's transaction, send after commit, never twice)."""

import logging
from collections.abc import Iterable, Mapping
from email.utils import make_msgid
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.utils import timezone

from core.emails import RenderedEmail
from core.inserts import insert_unless_conflict
from core.models import OutboundEmail

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=models.Model)

MAX_ATTEMPTS = 10
AUTO_SUBMITTED = "auto-generated"


def new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "mutirao.localhost"
    return make_msgid(domain=domain)


def outbox_enqueue(
    *,
    key: str,
    to: str,
    email: RenderedEmail,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    is_automatic: bool = True,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundEmail:
    """Write one e-mail to the outbox and schedule its sending for after the commit.

    Call it inside the transaction of the change the e-mail announces: if that transaction
    rolls back, the row and the send vanish with it. The same `key` twice stores one row.
    `attachments`: small text files, each `{"filename", "content_type", "content"}`.
    """
    outbound, _created = outbox_insert(
        key=key,
        to=to,
        email=email,
        reply_to=reply_to,
        headers=headers,
        message_id=message_id,
        is_automatic=is_automatic,
        attachments=attachments,
    )
    return outbound


def outbox_schedule(email_id: int) -> None:
    """Queue the sending of one outbox e-mail now (the admin's "send again"). With the
    broker down nothing fails: the row stays pending for `outbox_flush`."""
    _schedule_send(email_id)


def outbox_insert(
    *,
    key: str,
    to: str,
    email: RenderedEmail,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    is_automatic: bool = True,
    attachments: list[dict[str, str]] | None = None,
) -> tuple[OutboundEmail, bool]:
    """`outbox_enqueue` that also says whether the row is new (False: the key was taken)."""
    key = key[:200]
    outbound = OutboundEmail(
        key=key,
        to=to,
        subject=email.subject[:300],
        body_text=email.text,
        body_html=email.html,
        reply_to=reply_to,
        headers=headers or {},
        message_id=message_id or new_message_id(),
        is_automatic=is_automatic,
        attachments=attachments or [],
    )
    # One statement and no savepoint: the unique key turns a second enqueue into a no-op.
    if insert_unless_conflict(outbound):
        transaction.on_commit(lambda: _schedule_send(outbound.pk))
        return outbound, True
    return OutboundEmail.objects.get(key=key), False


def _schedule_send(email_id: int) -> None:
    from core.tasks import outbox_send

    try:
        # One attempt, no publish retries: with the broker down this fails in milliseconds
        # instead of holding the request for a second of retries.
        outbox_send.apply_async((email_id,), retry=False)
    except Exception:  # broker down: the row stays pending and outbox_flush sends it later
        logger.warning(
            "Could not queue outbound e-mail %s; it stays in the outbox", email_id, exc_info=True
        )


def outbox_deliver(*, email_id: int) -> bool:
    """Send one pending e-mail. Returns False when it was already sent or is being sent.

    The row lock (skipping locked rows) means two workers never send the same e-mail; a
    failed attempt is counted and committed before the error propagates to Celery's retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if outbound is None:
            return False
        try:
            _build_message(outbound).send()
        except Exception as exc:
            failure = exc
            outbound.attempts += 1
            outbound.last_error = repr(exc)[:2000]
            if outbound.attempts >= MAX_ATTEMPTS:
                outbound.status = OutboundEmail.Status.FAILED
            outbound.save(update_fields=["attempts", "last_error", "status", "updated_at"])
        else:
            outbound.attempts += 1
            outbound.status = OutboundEmail.Status.SENT
            outbound.sent_at = timezone.now()
            outbound.save(update_fields=["attempts", "status", "sent_at", "updated_at"])
    if failure is not None:
        raise failure
    return True


def outbox_pending_ids(*, older_than_seconds: int = 30, limit: int = 500) -> list[int]:
    """Pending e-mails old enough that their after-commit send should have happened."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def _build_message(outbound: OutboundEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": outbound.message_id, **outbound.headers}
    if outbound.is_automatic:
        headers.setdefault("Auto-Submitted", AUTO_SUBMITTED)
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        to=[outbound.to],
        reply_to=[outbound.reply_to] if outbound.reply_to else None,
        headers=headers,
    )
    if outbound.body_html:
        message.attach_alternative(outbound.body_html, "text/html")
    for attachment in outbound.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    return message


def model_update(
    *, instance: ModelT, data: Mapping[str, Any], fields: Iterable[str]
) -> tuple[ModelT, list[str]]:
    """Set each of `fields` present in `data` on `instance` and save only those that changed
    (plus `updated_at` when the model has it). Returns the instance and the names of the
    fields that changed (empty, so false, when nothing did: no query is made).

    It opens no transaction: it saves inside the caller's, so the caller's checks and audit
    rows commit or roll back with it. A foreign key is compared by id, so an unchanged one
    costs no query; a field not in `data` is left alone, as in a PATCH.
    """
    changed = [
        field for field in fields if field in data and _differs(instance, field, data[field])
    ]
    if not changed:
        return instance, []
    for field in changed:
        setattr(instance, field, data[field])
    stamp = ["updated_at"] if _has_field(instance, "updated_at") else []
    instance.save(update_fields=[*changed, *stamp])
    return instance, changed


def _has_field(instance: models.Model, name: str) -> bool:
    return any(field.name == name for field in instance._meta.concrete_fields)


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    field = instance._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        new_id = value.pk if isinstance(value, models.Model) else value
        return getattr(instance, field.attname) != new_id
    return getattr(instance, name) != value
