"""Migration 0007 turns e-mailed files into attachments of their order and message, and
back again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0008_sla")]
AFTER = [("orders", "0009_attachments")]


def _migrate(targets):
    """Models as they are at `targets`, every other app at its latest (as in the database)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "orders"]
    return executor.loader.project_state(others + targets).apps


@pytest.mark.django_db(transaction=True)
def test_emailed_files_get_their_order_message_and_sender_and_go_back():
    old = _migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(email="ana@client.example", name="Ana")
    company = old.get_model("companies", "Company").objects.create(
        cnpj="11222333000181", legal_name="SoftClient", support_email="help@soft.example"
    )
    Order = old.get_model("orders", "Order")
    order = Order.objects.create(company=company, requester=user, title="Impressora")
    gone = Order.objects.create(company=company, requester=user, title="Apagada")
    message = old.get_model("orders", "Message").objects.create(
        order=order, author=user, body="Foto"
    )
    Email = old.get_model("orders", "InboundEmail")
    opening, reply, orphan = (
        Email.objects.create(
            company=company,
            status="joined",
            content_hash=tag,
            sender=user,
            order=target,
            order_message=linked,
        )
        for tag, target, linked in [("a", order, None), ("b", order, message), ("c", gone, None)]
    )
    Old = old.get_model("orders", "InboundAttachment")
    for email, name in [(opening, "a.png"), (reply, "b.pdf"), (orphan, "c.png")]:
        Old.objects.create(email=email, filename=name, content_type="image/png", size=1)
    Email.objects.filter(pk=orphan.pk).update(order=None)  # its order was deleted

    new = _migrate(AFTER)

    Attachment = new.get_model("orders", "Attachment")
    rows = Attachment.objects.order_by("id").values_list(
        "filename", "order_id", "message_id", "uploaded_by_id", "source"
    )
    assert list(rows) == [
        ("a.png", order.pk, None, user.pk, "email"),
        ("b.pdf", order.pk, message.pk, user.pk, "email"),
    ]
    Attachment.objects.create(
        order_id=order.pk, source="upload", filename="d.png", content_type="image/png", size=1
    )

    back = _migrate(BEFORE)

    names = back.get_model("orders", "InboundAttachment").objects.values_list("filename")
    assert sorted(names) == [("a.png",), ("b.pdf",)]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
