"""Routes of the equipment app (see docs/orders.md)."""

urlpatterns: list = []
