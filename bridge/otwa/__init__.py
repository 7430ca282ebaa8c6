"""The Otwa Cloud API client: typed errors, retries, a shared rate-limit budget, models.

::

    from bridge.otwa import OtwaClient, Budget, errors, models

    budget = Budget(path="var/otwa-budget.sqlite", limit=90, window=60.0)
    client = OtwaClient(api_key, budget=budget, priority="background")
    server = client.create_server(product_id=..., os="ubuntu-24.04",
                                  os_template="ubuntu-24.04", idempotency_key=op_id)

Nothing here imports from the rest of the bridge except :mod:`bridge.logs`.
See docs/otwa-client.md for the retry policy, the budget and priorities.
"""

from bridge.otwa import errors, models
from bridge.otwa.budget import Budget
from bridge.otwa.client import DEFAULT_BASE_URL, POWER_ACTIONS, OtwaClient

__all__ = ["OtwaClient", "Budget", "errors", "models", "DEFAULT_BASE_URL", "POWER_ACTIONS"]
