"""Shop B's own data: wishlists, pointing at the shop's products and the local shadow user."""

from django.conf import settings
from django.db import models

from shop.models import Product


class WishlistItem(models.Model):
    """A product a user keeps on "My wishlist"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="b_extras_wishlist_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product} on the wishlist of {self.user}"
