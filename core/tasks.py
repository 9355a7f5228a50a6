import logging
import smtplib

from celery import shared_task

from core import idempotency, services

logger = logging.getLogger(__name__)

TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(bind=True, acks_late=True, max_retries=services.MAX_ATTEMPTS)
def outbox_send(self, email_id: int) -> bool:
    """Send one outbox e-mail. Safe to run twice: a sent row is skipped.

    A mail-server failure is retried with exponential backoff (5 s, 10 s, ... up to 10 min);
    run eagerly (no broker) it is left pending for `outbox_flush` instead of retrying in a
    tight loop.
    """
    try:
        return services.outbox_deliver(email_id=email_id)
    except TRANSIENT_MAIL_ERRORS as exc:
        if self.request.is_eager:
            logger.warning("Outbox e-mail %s failed; outbox_flush will retry it", email_id)
            return False
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def outbox_flush(older_than_seconds: int = 30) -> int:
    """Periodic safety net: send what is still pending (the broker was down, a worker died).

    Rows younger than `older_than_seconds` are left to their own after-commit task.
    """
    sent = 0
    for email_id in services.outbox_pending_ids(older_than_seconds=older_than_seconds):
        try:
            sent += services.outbox_deliver(email_id=email_id)
        except TRANSIENT_MAIL_ERRORS:
            logger.warning("Outbox e-mail %s failed again; it will be retried", email_id)
    return sent


@shared_task(acks_late=True)
def idempotency_records_purge() -> int:
    """Hourly: forget Idempotency-Keys past their lifetime. Safe to run twice."""
    return idempotency.idempotency_records_delete_expired()
