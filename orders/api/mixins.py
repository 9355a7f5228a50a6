from orders.models import Order
from orders.selectors import order_get_visible_to


class OrderInURLMixin:
    """Views under `orders/{order_id}/`: the order of the URL among those the user sees
    (404 otherwise), read once per request."""

    def get_order(self) -> Order:
        if not hasattr(self, "_order"):
            self._order = order_get_visible_to(self.request.user, self.kwargs["order_id"])
        return self._order
