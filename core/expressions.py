"""Query expressions the ORM lacks."""

from django.db.models import BooleanField, Func


class EqualsAnyOf(Func):
    """`field = ANY(ARRAY(subquery))` on PostgreSQL, `field IN (subquery)` elsewhere.

    Under an OR, PostgreSQL checks `IN (subquery)` row by row (a sequential scan of the
    table); `= ANY(ARRAY(subquery))` runs the subquery once, as an InitPlan, so each side
    of the OR can use its index."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, arg_joiner=" IN ", template="%(expressions)s", **extra_context
        )
