"""E-mailed files become attachments of their order, beside uploaded ones: the model is
renamed, every row gets its order, message, sender and source from its e-mail, and new
rows may be uploads (no e-mail). Reversible; files are not moved."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import orders.models


def link_to_orders(apps, schema_editor):
    """Each e-mailed file joins the order and message its e-mail wrote. A file whose order
    was deleted (its e-mail kept, unlinked) has nowhere to be listed and is dropped."""
    Attachment = apps.get_model("orders", "Attachment")
    Attachment.objects.filter(email__order__isnull=True).delete()
    for attachment in Attachment.objects.select_related("email").iterator(chunk_size=500):
        attachment.order_id = attachment.email.order_id
        attachment.message_id = attachment.email.order_message_id
        attachment.uploaded_by_id = attachment.email.sender_id
        attachment.save(update_fields=["order", "message", "uploaded_by"])


def keep_only_emailed(apps, schema_editor):
    """Going back, only e-mailed files fit the old model: uploads are dropped."""
    Attachment = apps.get_model("orders", "Attachment")
    Attachment.objects.filter(email__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_sla"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="InboundAttachment", new_name="Attachment"),
        migrations.AlterModelOptions(
            name="attachment",
            options={
                "ordering": ["id"],
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
            },
        ),
        migrations.AddField(
            model_name="attachment",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="orders.order",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="orders.message",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="source",
            field=models.CharField(
                choices=[("upload", "upload"), ("email", "e-mail")],
                default="email",
                max_length=8,
                verbose_name="source",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="attachment",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="uploaded by",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="email",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="orders.inboundemail",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="file",
            field=models.FileField(
                blank=True,
                max_length=300,
                upload_to=orders.models.attachment_upload_to,
                verbose_name="file",
            ),
        ),
        migrations.RunPython(link_to_orders, keep_only_emailed),
        migrations.AlterField(
            model_name="attachment",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="orders.order",
            ),
        ),
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["order", "id"], name="attachment_order_idx"),
        ),
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("email__isnull", False), ("source", "email")),
                    models.Q(("email__isnull", True), ("source", "upload")),
                    _connector="OR",
                ),
                name="attachment_email_iff_source_email",
            ),
        ),
    ]
