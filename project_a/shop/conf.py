"""The shop's options: one ``SHOP = {...}`` settings dict, read lazily with defaults.

A fork varies the shop through this dict (as django-oauth-toolkit's ``oauth2_settings`` reads
``OAUTH2_PROVIDER``), never by copying the app. Settings are read on every access, never at import
time, so ``override_settings`` works in tests.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Shown in the header, the page titles and the admin.
    "NAME": "Shop",
    "TAGLINE": "",
    # The theme: a CSS colour used for buttons, links and the header rule.
    "ACCENT_COLOR": "#2563eb",
    "CURRENCY": "EUR",
    "CURRENCY_SYMBOL": "€",
    # The most of one product a cart line may hold.
    "MAX_QUANTITY": 20,
    "PRODUCTS_PER_PAGE": 24,
    # Extra stylesheets (static paths) loaded after shop/shop.css.
    "EXTRA_STYLESHEETS": [],
}


class ShopSettings:
    """Give ``settings.SHOP[name]`` as an attribute, falling back to ``DEFAULTS``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown shop setting: {name}")
        return getattr(settings, "SHOP", {}).get(name, DEFAULTS[name])


shop_settings = ShopSettings()
