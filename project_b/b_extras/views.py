"""Shop B's pages: "My wishlist" and its add and remove actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from b_extras import selectors, services
from shop.models import Product
from shop.selectors import product_list
from shop.views import safe_next_url


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the posted ``next`` when it stays on this site, else to ``default``."""
    return HttpResponseRedirect(
        safe_next_url(request, request.POST.get("next", ""), default=default)
    )


@login_required
@require_GET
def wishlist_detail(request: HttpRequest) -> HttpResponse:
    """Show "My wishlist"."""
    items = selectors.wishlist_item_list(user=request.user)
    return render(request, "b_extras/wishlist.html", {"items": items})


@require_POST
def wishlist_add(request: HttpRequest, product_id: int) -> HttpResponse:
    """Put a product on sale on the wishlist, then go back to the product."""
    product = get_object_or_404(product_list(), pk=product_id)
    if not request.user.is_authenticated:
        return redirect_to_login(product.get_absolute_url())
    if services.wishlist_add(user=request.user, product=product):
        messages.success(request, f'Added "{product.name}" to your wishlist.')
    else:
        messages.info(request, f'"{product.name}" is already on your wishlist.')
    return _back(request, product.get_absolute_url())


@login_required
@require_POST
def wishlist_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    """Take a product (even one no longer sold) off the wishlist, then go back."""
    product = get_object_or_404(Product, pk=product_id)
    if services.wishlist_remove(user=request.user, product=product):
        messages.success(request, f'Removed "{product.name}" from your wishlist.')
    else:
        messages.info(request, f'"{product.name}" was not on your wishlist.')
    return _back(request, reverse("b_extras:wishlist"))
