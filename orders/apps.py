from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # Connects the receiver of django-anymail's inbound signal.
        from orders.email import webhooks  # noqa: F401
