"""IdempotencyRecord moves from payments to core, so that any POST can take an
Idempotency-Key. Its table keeps its name (`payments_idempotencyrecord`): this migration and
payments 0002 change Django's state only and touch no row, in either direction. On a new
database the table is created by payments 0001."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=255, verbose_name='key')),
                        ('scope', models.CharField(max_length=100, verbose_name='scope')),
                        ('request_hash', models.CharField(max_length=64, verbose_name='request hash')),
                        ('state', models.CharField(choices=[('in_progress', 'in progress'), ('completed', 'completed')], default='in_progress', max_length=12, verbose_name='state')),
                        ('response_status', models.PositiveSmallIntegerField(null=True, verbose_name='response status')),
                        ('response_body', models.JSONField(null=True, verbose_name='response body')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='idempotency_records', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'idempotency record',
                        'verbose_name_plural': 'idempotency records',
                        'db_table': 'payments_idempotencyrecord',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['created_at'], name='idempotency_created_idx')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='idempotency_key_once_per_user')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
