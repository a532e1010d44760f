"""Template tags of shop B's wishlist: ``{% load wishlist_tags %}``.

They let B's overrides of the shop's include points ask about the wishlist, so that the shop's
own views render B's pages unchanged.
"""

from django import template
from django.template import Context

from b_extras import selectors
from shop.models import Product

register = template.Library()


@register.simple_tag(takes_context=True)
def on_wishlist(context: Context, product: Product) -> bool:
    """Return whether ``product`` is on the wishlist of the request's user (never when signed out).

    ``{% on_wishlist product as in_wishlist %}``
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return False
    return selectors.wishlist_contains(user=user, product=product)
