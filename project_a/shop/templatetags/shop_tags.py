"""Template filters of the shop: ``{% load shop_tags %}``."""

from decimal import Decimal

from django import template

from shop.conf import shop_settings

register = template.Library()


@register.filter
def money(amount: Decimal | int | None) -> str:
    """Format an amount in the shop's currency: ``12.5`` gives ``€12.50``."""
    if amount is None or amount == "":
        return ""
    return f"{shop_settings.CURRENCY_SYMBOL}{Decimal(amount):,.2f}"
