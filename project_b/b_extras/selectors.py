"""Reads of shop B's wishlists."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from b_extras.models import WishlistItem
from shop.models import Product


def wishlist_item_list(*, user: AbstractBaseUser) -> QuerySet[WishlistItem]:
    """Return the user's wishlist, most recently added first."""
    return WishlistItem.objects.filter(user=user).select_related("product")


def wishlist_contains(*, user: AbstractBaseUser | AnonymousUser, product: Product) -> bool:
    """Return whether the product is on the user's wishlist (never for a signed-out visitor)."""
    if not user.is_authenticated:
        return False
    return WishlistItem.objects.filter(user=user, product=product).exists()
