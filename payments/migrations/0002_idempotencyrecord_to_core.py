"""IdempotencyRecord now belongs to core (core 0002). Django's state forgets it here; the
table `payments_idempotencyrecord` and its rows stay, now used by core's model. Reversible:
going back restores the state and leaves the table as it is."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0001_initial'),
        ('core', '0002_idempotencyrecord'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='IdempotencyRecord',
                ),
            ],
            database_operations=[],
        ),
    ]
