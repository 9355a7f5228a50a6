"""Small database primitives the ORM does not name."""

from django.db import models, router
from django.db.models.constants import OnConflict


def insert_unless_conflict(obj: models.Model) -> bool:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` for one new row: True (and `obj.pk`
    set) when it was inserted, False when a unique constraint already holds such a row.

    One round trip and no savepoint, where `get_or_create` or `try: create() except
    IntegrityError` inside `atomic()` take four. A concurrent insert of the same key waits
    for the other transaction and then reports the conflict, as a unique constraint does.
    No `save()` and no signals run (the models it is used for have neither).
    """
    model = type(obj)
    opts = model._meta
    fields = [field for field in opts.local_concrete_fields if not field.generated]
    if obj.pk is None:
        fields = [field for field in fields if field is not opts.pk]
    rows = model._base_manager._insert(
        [obj],
        fields=fields,
        returning_fields=[opts.pk],
        using=router.db_for_write(model),
        on_conflict=OnConflict.IGNORE,
    )
    if not rows or rows[0] is None:
        return False
    obj.pk = rows[0][0]
    obj._state.adding = False
    obj._state.db = router.db_for_write(model)
    return True
