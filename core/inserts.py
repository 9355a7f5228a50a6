"""`insert_unless_conflict`: the one row write the ORM has no single statement for."""

from django.db import connections, models, router


def insert_unless_conflict(obj: models.Model) -> bool:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` for one new row: True (and `obj.pk`
    set) when it was inserted, False when a unique constraint already holds such a row.

    `bulk_create(ignore_conflicts=True)` does not say which, and `get_or_create` or
    `create()` in a savepoint cost three more round trips. A concurrent insert of the same
    key waits for the other transaction and then reports the conflict, as a unique
    constraint does. Each value is prepared by its field as `save()` prepares it; no
    `save()` and no signals run (the models it is used for have neither).
    """
    model = type(obj)
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [
        field
        for field in meta.concrete_fields
        if not field.generated and not (field.primary_key and obj.pk is None)
    ]
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Names come from the model, values go as parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias
    return True
