"""Template context for every shop page."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from shop import selectors
from shop.conf import shop_settings


def shop(request: HttpRequest) -> dict[str, Any]:
    """Give templates the shop settings (``shop.NAME``...) and the cart count, counted lazily."""
    user = getattr(request, "user", None)

    def cart_count() -> int:
        return selectors.cart_count(user=user) if user is not None else 0

    count: Callable[[], int] = cart_count
    return {"shop": shop_settings, "cart_count": count}
