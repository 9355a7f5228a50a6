from orders.tests.conftest import (  # noqa: F401  (the orders' fixtures, shared)
    assignee,
    closed_order,
    in_progress_order,
    inbound_secret,
    order,
)
