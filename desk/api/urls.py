"""Routes of the desk app (see docs/orders.md)."""

urlpatterns: list = []
