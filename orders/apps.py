from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # Connects the receiver of django-anymail's inbound signal; registers the checks.
        from orders import checks  # noqa: F401
        from orders.email import webhooks  # noqa: F401
