"""Routes of the webhooks app (see docs/orders.md)."""

urlpatterns: list = []
