"""Small database primitives the ORM does not name, and row writes without its compiler.

`insert`, `insert_unless_conflict` and `update_columns` write one row with a statement
built once per model (and column set) and kept, instead of compiling a new one through
the ORM's query compiler for every row: on the e-mail channel, which writes five or six
rows per message, that compilation cost more CPU than PostgreSQL spent running them.
The values still go through each field's own `pre_save` and `get_db_prep_save`, exactly
as `Model.save()` prepares them, so what is stored is the same.
"""

from functools import cache

from django.db import connections, models, router
from django.db.models.constants import OnConflict


def insert(obj: models.Model) -> models.Model:
    """`Model.objects.create()` for an instance already built: one INSERT, the primary
    key (and any database-generated column) set on it. No `save()` and no signals run
    (the models it is used for have neither)."""
    _insert(obj, on_conflict=None)
    return obj


def insert_unless_conflict(obj: models.Model) -> bool:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` for one new row: True (and `obj.pk`
    set) when it was inserted, False when a unique constraint already holds such a row.

    One round trip and no savepoint, where `get_or_create` or `try: create() except
    IntegrityError` inside `atomic()` take four. A concurrent insert of the same key waits
    for the other transaction and then reports the conflict, as a unique constraint does.
    No `save()` and no signals run (the models it is used for have neither).
    """
    return _insert(obj, on_conflict=OnConflict.IGNORE)


def update_columns(obj: models.Model, fields: list[str]) -> None:
    """`obj.save(update_fields=fields)` in one prepared UPDATE; `auto_now` columns (the
    `updated_at` of every model) are refreshed as `save()` does."""
    model = type(obj)
    alias = router.db_for_write(model)
    sql, prepared = _update_statement(model, alias, tuple(fields))
    values = _values(obj, prepared, connections[alias], adding=False)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [*values, obj.pk])


def _insert(obj: models.Model, *, on_conflict: OnConflict | None) -> bool:
    model = type(obj)
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields, returning = _insert_statement(model, alias, on_conflict, obj.pk is None)
    values = _values(obj, fields, connection, adding=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return False
    for field, value in zip(returning, row, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    return True


def _values(obj: models.Model, fields: list, connection, *, adding: bool) -> list:
    values = []
    for field, plain in fields:
        if plain is not None:
            value = getattr(obj, field.attname)
            if type(value) is plain:
                values.append(value)
                continue
        else:
            value = field.pre_save(obj, adding)
        values.append(field.get_db_prep_save(value, connection))
    return values


# Fields whose `get_db_prep_save` returns a value of this type unchanged (and whose
# `pre_save` only reads the attribute): their values are passed as they are.
_AS_IS = {
    models.CharField: str,
    models.EmailField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def _with_kind(field) -> tuple:
    """(field, the type its values pass as they are, or None: prepared by the field)."""
    target = (
        field.target_field if type(field) in (models.ForeignKey, models.OneToOneField) else field
    )
    return field, _AS_IS.get(type(target))


@cache
def _insert_statement(
    model: type[models.Model], alias: str, on_conflict: OnConflict | None, without_pk: bool
) -> tuple[str, list, list]:
    connection = connections[alias]
    opts = model._meta
    fields = [field for field in opts.local_concrete_fields if not field.generated]
    if without_pk:
        fields = [field for field in fields if field is not opts.pk]
    returning = list(opts.db_returning_fields)
    quote = connection.ops.quote_name
    returning_sql, _params = connection.ops.return_insert_columns(returning)
    conflict_sql = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    sql = " ".join(
        part
        for part in (
            connection.ops.insert_statement(on_conflict=on_conflict),
            quote(opts.db_table),
            f"({', '.join(quote(field.column) for field in fields)})",
            f"VALUES ({', '.join(['%s'] * len(fields))})",
            conflict_sql,
            returning_sql,
        )
        if part
    )
    return sql, [_with_kind(field) for field in fields], returning


@cache
def _update_statement(
    model: type[models.Model], alias: str, names: tuple[str, ...]
) -> tuple[str, list]:
    quote = connections[alias].ops.quote_name
    opts = model._meta
    fields = [opts.get_field(name) for name in names]
    fields += [
        field
        for field in opts.local_concrete_fields
        if getattr(field, "auto_now", False) and field not in fields
    ]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608 - names from the model
    return sql, [_with_kind(field) for field in fields]
