from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import IdempotencyRecord
from core.tasks import idempotency_records_purge

pytestmark = pytest.mark.django_db


def test_purge_forgets_keys_past_their_lifetime(user, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    old = IdempotencyRecord.objects.create(user=user, key="old", scope="donation", request_hash="h")
    fresh = IdempotencyRecord.objects.create(
        user=user, key="fresh", scope="donation", request_hash="h"
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert idempotency_records_purge.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
