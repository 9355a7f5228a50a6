"""Routes of the fieldservice app (see docs/orders.md)."""

urlpatterns: list = []
