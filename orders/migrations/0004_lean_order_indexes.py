"""Drop the single-column indexes of the order's four foreign keys, which composite indexes
lead (one index fewer to write per order and per change), and let the requester's index
carry the company so an agent's own requests elsewhere are told apart in the index.

Only the indexes are dropped: Django's AlterField would also drop and re-validate each
foreign key constraint, a scan of the whole table at a million orders."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (field, index Django created for it in 0001_initial)
FOREIGN_KEY_INDEXES = [
    ("assignee", "orders_order_assignee_id_4017eadb"),
    ("company", "orders_order_company_id_fbc7ca11"),
    ("requester", "orders_order_requester_id_645cf543"),
    ("team", "orders_order_team_id_d8b8be41"),
]


def _drop_index(field: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "orders_order" ("{field}_id")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("orders", "0003_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop_index(field, name) for field, name in FOREIGN_KEY_INDEXES],
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_orders",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="companies.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requested_orders",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="orders",
                        to="companies.team",
                    ),
                ),
            ],
        ),
        migrations.RemoveIndex(model_name="order", name="order_requester_created_idx"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["requester", "created_at", "id"],
                include=["company"],
                name="order_requester_created_idx",
            ),
        ),
    ]
