"""Template context for every shop page."""

from typing import Any

from django.http import HttpRequest

from shop import selectors
from shop.conf import shop_settings


def shop(request: HttpRequest) -> dict[str, Any]:
    """Give templates the shop settings (``shop.NAME``...) and the cart count, counted lazily."""
    # No user when a middleware before AuthenticationMiddleware answered (a 400 page).
    user = getattr(request, "user", None)

    def cart_count() -> int:
        return selectors.cart_count(user=user) if user is not None else 0

    return {"shop": shop_settings, "cart_count": cart_count}
