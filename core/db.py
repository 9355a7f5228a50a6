"""Small database primitives the ORM does not name, and row writes without its compiler.

`insert`, `insert_unless_conflict` and `update_columns` write one row with a statement
built once per model (and column set) and kept, instead of compiling a new one through
the ORM's query compiler for every row: on the e-mail channel, which writes five or six
rows per message, that compilation cost more CPU than PostgreSQL spent running them.
The values still go through each field's own `pre_save` and `get_db_prep_save`, exactly
as `Model.save()` prepares them, so what is stored is the same.

Inside `writes_deferred()` (PostgreSQL) the same three calls queue their rows instead, and
the queue is written in one round trip (one multi-row INSERT per table) right before any
other statement runs on the connection, and when the block ends: a batch of work that
only writes sends its rows together instead of one statement each.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.db import DatabaseError, OperationalError, connections, models, router
from django.db.models.constants import OnConflict


def placeholders(values) -> str:
    """`%s, %s, %s` for a hand-written `IN (…)` of these values, passed as parameters."""
    return ", ".join(["%s"] * len(values))


def insert(obj: models.Model) -> models.Model:
    """`Model.objects.create()` for an instance already built: one INSERT, the primary
    key (and any database-generated column) set on it. No `save()` and no signals run
    (the models it is used for have neither)."""
    deferred = _deferred(obj)
    if deferred is not None and deferred.queue_insert(obj):
        return obj
    _insert(obj, on_conflict=None)
    return obj


def insert_unless_conflict(obj: models.Model) -> bool:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` for one new row: True (and `obj.pk`
    set) when it was inserted, False when a unique constraint already holds such a row.

    One round trip and no savepoint, where `get_or_create` or `try: create() except
    IntegrityError` inside `atomic()` take four. A concurrent insert of the same key waits
    for the other transaction and then reports the conflict, as a unique constraint does.
    No `save()` and no signals run (the models it is used for have neither).

    Inside `writes_deferred()` the row is queued like any other and True returned: a
    conflict surfaces when the queue is written, as an error for the whole block. That
    is for callers that have read beforehand that no such row exists and that redo the
    block without deferral when it fails.
    """
    deferred = _deferred(obj)
    if deferred is not None and deferred.queue_insert(obj):
        return True
    return _insert(obj, on_conflict=OnConflict.IGNORE)


def update_columns(obj: models.Model, fields: list[str]) -> None:
    """`obj.save(update_fields=fields)` in one prepared UPDATE; `auto_now` columns (the
    `updated_at` of every model) are refreshed as `save()` does."""
    model = type(obj)
    alias = router.db_for_write(model)
    sql, prepared = _update_statement(model, alias, tuple(fields))
    values = _values(obj, prepared, connections[alias], adding=False)
    deferred = _deferred(obj)
    if deferred is not None:
        deferred.queue_update(obj, sql, [*values, obj.pk])
        return
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


class WriteFailed(DatabaseError):
    """A deferred row could not be written (a unique conflict, a value too long): the
    block's transaction is aborted, and whoever opened the block redoes it without
    deferral. A DatabaseError, so that `atomic()` rolls back a savepoint whose release
    wrote the queue; not an IntegrityError, so that no `except IntegrityError` around some
    later statement, which happened to trigger the write, mistakes it for its own."""


@contextmanager
def writes_deferred(using: str = "default") -> Iterator[None]:
    """Queue the rows `insert`, `insert_unless_conflict` and `update_columns` write on
    this connection, and write them in one round trip before the next other statement
    and when the block ends. Primary keys are taken from the table's sequence ahead
    (`FIRST_IDS`), so every queued object has its `pk` at once.

    Use inside a transaction. A failed write raises `WriteFailed` (a lock conflict stays
    an `OperationalError`); rolling back to a savepoint drops what was queued after it.
    Anywhere but PostgreSQL the block changes nothing."""
    connection = connections[using]
    if connection.vendor != "postgresql" or getattr(connection, "_deferred_writes", None):
        yield
        return
    deferred = _DeferredWrites(connection)
    connection._deferred_writes = deferred
    try:
        with connection.execute_wrapper(deferred.before_statement):
            yield
            deferred.flush()
    finally:
        connection._deferred_writes = None


def _deferred(obj: models.Model) -> "_DeferredWrites | None":
    alias = router.db_for_write(type(obj))
    return getattr(connections[alias], "_deferred_writes", None)


# Ids taken from a table's sequence at a time: few at first, then twice as many at each
# refill, up to the most. An id taken and not used is a gap in the numbers (order numbers
# among them), so a block takes about as many as it writes, and none are kept for later:
# a block later on would give a new order a lower number than orders made in between.
FIRST_IDS, MOST_IDS = 16, 128


class _DeferredWrites:
    def __init__(self, connection):
        self.connection = connection
        self.inserts: dict[tuple, list[list]] = {}  # statement → [object, values] rows
        self.queued: dict[int, list] = {}  # id(object) → its row, until written
        self.updates: dict[tuple, tuple[str, list]] = {}  # (model, pk, sql) → last values
        self.ids: dict[type, tuple[list[int], int]] = {}  # model → (ids left, next refill)
        self.busy = False

    def queue_insert(self, obj: models.Model) -> bool:
        model = type(obj)
        opts = model._meta
        if any(not (field is opts.pk or field.generated) for field in opts.db_returning_fields):
            return False  # a default only the database knows: written at once
        # A generated column stays unloaded on the object, and is read when first used.
        if obj.pk is None:
            obj.pk = self._next_id(model)
        alias = self.connection.alias
        _head, _row, fields = _rows_statement(model, alias)
        row = [obj, _values(obj, fields, self.connection, adding=True)]
        self.inserts.setdefault((model, alias), []).append(row)
        self.queued[id(obj)] = row
        obj._state.adding = False
        obj._state.db = alias
        return True

    def queue_update(self, obj: models.Model, sql: str, params: list) -> None:
        row = self.queued.get(id(obj))
        if row is not None:  # not written yet: the INSERT carries the new values
            _head, _row, fields = _rows_statement(type(obj), self.connection.alias)
            row[1] = _values(obj, fields, self.connection, adding=False)
            return
        self.updates[(type(obj), obj.pk, sql)] = (sql, params)

    def before_statement(self, execute, sql, params, many, context):
        if not self.busy:
            if sql.lstrip()[:8].upper() == "ROLLBACK":
                # Everything queued came after the last savepoint statement (each one
                # writes the queue first), so it is inside what is rolled back.
                self.discard()
            else:
                self.flush()
        return execute(sql, params, many, context)

    def flush(self) -> None:
        if not self.inserts and not self.updates:
            return
        statements, params = [], []
        for (model, alias), rows in self.inserts.items():
            head, row, _fields = _rows_statement(model, alias)
            statements.append(f"{head} VALUES {', '.join([row] * len(rows))}")
            params.extend(value for _obj, row_values in rows for value in row_values)
        for sql, update_params in self.updates.values():
            statements.append(sql)
            params.extend(update_params)
        self.discard()
        self.busy = True
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(";\n".join(statements), params)
        except OperationalError:
            raise
        except Exception as exc:
            raise WriteFailed(str(exc)) from exc
        finally:
            self.busy = False

    def discard(self) -> None:
        self.inserts, self.queued, self.updates = {}, {}, {}

    def _next_id(self, model: type[models.Model]) -> int:
        pool, refill = self.ids.get(model, ([], FIRST_IDS))
        if not pool:
            opts = model._meta
            self.busy = True
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)",
                        [self.connection.ops.quote_name(opts.db_table), opts.pk.column, refill],
                    )
                    pool = [row[0] for row in cursor.fetchall()][::-1]
            finally:
                self.busy = False
            self.ids[model] = (pool, min(refill * 2, MOST_IDS))
        return pool.pop()


@cache
def _rows_statement(model: type[models.Model], alias: str) -> tuple[str, str, list]:
    """`INSERT INTO table (columns)`, one row's placeholders, and the fields, primary key
    included: the pieces of a multi-row INSERT."""
    quote = connections[alias].ops.quote_name
    opts = model._meta
    fields = [field for field in opts.local_concrete_fields if not field.generated]
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    return head, f"({', '.join(['%s'] * len(fields))})", [_with_kind(field) for field in fields]
