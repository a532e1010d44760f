"""Writes of shop B's wishlists."""

from django.contrib.auth.models import AbstractBaseUser

from b_extras.models import WishlistItem
from shop.models import Product


def wishlist_add(*, user: AbstractBaseUser, product: Product) -> bool:
    """Put the product on the user's wishlist; return False when it already was there."""
    _, created = WishlistItem.objects.get_or_create(user=user, product=product)
    return created


def wishlist_remove(*, user: AbstractBaseUser, product: Product) -> bool:
    """Take the product off the user's wishlist; return False when it was not there."""
    deleted, _ = WishlistItem.objects.filter(user=user, product=product).delete()
    return deleted > 0
