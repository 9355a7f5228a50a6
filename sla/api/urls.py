"""Routes of the sla app (see docs/orders.md)."""

urlpatterns: list = []
