"""Reads: what the shop's pages show."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet, Sum

from shop.models import CartItem, Category, Order, Product


def product_list(*, category_slug: str | None = None) -> QuerySet[Product]:
    """Return the products on sale, optionally those of one category."""
    products = Product.objects.filter(active=True).select_related("category")
    if category_slug:
        products = products.filter(category__slug=category_slug)
    return products


def category_list() -> QuerySet[Category]:
    """Return the categories that have at least one product on sale."""
    return Category.objects.filter(products__active=True).distinct()


def cart_item_list(*, user: AbstractBaseUser) -> QuerySet[CartItem]:
    """Return the lines of the user's cart (none if the user has no cart yet)."""
    return CartItem.objects.filter(cart__user=user).select_related("product")


def cart_total(*, items: QuerySet[CartItem] | list[CartItem]) -> Decimal:
    """Return the price of these cart lines, at today's prices."""
    return sum((item.line_total for item in items), Decimal("0.00"))


def cart_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    """Return how many items the user's cart holds (0 when signed out)."""
    if not user.is_authenticated:
        return 0
    return cart_item_list(user=user).aggregate(n=Sum("quantity"))["n"] or 0


def order_list(*, user: AbstractBaseUser) -> QuerySet[Order]:
    """Return the user's own orders, newest first, with their lines."""
    return Order.objects.filter(user=user).prefetch_related("lines")
