from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class DonationRateThrottle(UserRateThrottle):
    """Donations per user (the `donations` rate): stops card-testing floods from one
    account. The rate is read at request time so a settings change applies at once."""

    scope = "donations"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
