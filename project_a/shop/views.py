"""The shop's pages: parse the request, call one selector or service, render.

A fork adds to these pages through their include points (``shop/includes/*.html``, overridden in
the fork's templates) and its own template tags, without routing the shop's URLs elsewhere:
project_b's wishlist button does so on the product page.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DetailView, ListView

from shop import selectors, services
from shop.conf import shop_settings
from shop.exceptions import ShopError
from shop.forms import AddToCartForm, CartUpdateForm
from shop.models import Product


class CatalogPaginator(Paginator):
    """Django's paginator, without the COUNT(*) when the whole list fits on the first page.

    Page 1 reads one row more than a page holds (orphans included): fewer rows than that are
    the whole list, which is then counted in Python. A longer list, or another page, is
    counted and sliced as Django does.
    """

    _whole: list[Any] | None = None

    @cached_property
    def count(self) -> int:
        """Return the number of objects, from the first page's read when that was all of them."""
        if self._whole is not None:
            return len(self._whole)
        return super().count

    def page(self, number: Any) -> Page:
        if number != 1 or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        fits = self.per_page + self.orphans
        head = list(self.object_list[: fits + 1])
        if len(head) > fits:
            return super().page(number)
        self._whole = head
        return self._get_page(head, self.validate_number(number), self)


class CatalogView(ListView):
    """The products on sale, optionally filtered by ``?category=<slug>``."""

    template_name = "shop/catalog.html"
    context_object_name = "products"
    paginator_class = CatalogPaginator

    def get_paginate_by(self, queryset: Any) -> int:
        return shop_settings.PRODUCTS_PER_PAGE

    def get_queryset(self) -> Any:
        return selectors.product_list(category_slug=self.request.GET.get("category") or None)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["categories"] = selectors.category_list()
        context["current_category"] = self.request.GET.get("category", "")
        return context


class ProductDetailView(DetailView):
    """One product, with its "Add to cart" form."""

    template_name = "shop/product_detail.html"
    context_object_name = "product"

    def get_queryset(self) -> Any:
        return selectors.product_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = AddToCartForm(initial={"quantity": 1})
        return context


@login_required
@require_GET
def cart_detail(request: HttpRequest) -> HttpResponse:
    """Show the user's cart with a form per line and the checkout button."""
    items = list(selectors.cart_item_list(user=request.user))
    return render(
        request,
        "shop/cart.html",
        {"items": items, "total": selectors.cart_total(items=items)},
    )


@require_POST
def cart_add(request: HttpRequest, product_id: int) -> HttpResponse:
    """Add the posted ``quantity`` of a product on sale to the cart, then show the cart."""
    product = get_object_or_404(selectors.product_list(), pk=product_id)
    if not request.user.is_authenticated:
        # The POST itself cannot be replayed after sign-in: come back to the product.
        return redirect_to_login(product.get_absolute_url())
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect(product)
    try:
        services.cart_add_product(
            user=request.user, product=product, quantity=form.cleaned_data["quantity"]
        )
    except ShopError as error:
        messages.error(request, error.message)
        return redirect(product)
    messages.success(
        request, f'Added {form.cleaned_data["quantity"]} x "{product.name}" to your cart.'
    )
    return redirect("shop:cart")


@login_required
@require_POST
def cart_update(request: HttpRequest, product_id: int) -> HttpResponse:
    """Set the quantity of one cart line to the posted ``quantity`` (0 removes it)."""
    product = get_object_or_404(Product, pk=product_id)
    form = CartUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect("shop:cart")
    try:
        item = services.cart_set_quantity(
            user=request.user, product=product, quantity=form.cleaned_data["quantity"]
        )
    except ShopError as error:
        messages.error(request, error.message)
    else:
        if item is None:
            messages.success(request, f'Removed "{product.name}" from your cart.')
        else:
            messages.success(request, f'Updated "{product.name}" to {item.quantity}.')
    return redirect("shop:cart")


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """Place an order for everything in the cart, then show the order."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("shop:cart"))
    try:
        order = services.order_place(user=request.user)
    except ShopError as error:
        messages.error(request, error.message)
        return redirect("shop:cart")
    messages.success(request, f"Thank you! Your order #{order.pk} has been placed.")
    return redirect(order)


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Show "My orders": the signed-in user's orders only."""
    return render(
        request, "shop/order_list.html", {"orders": selectors.order_list(user=request.user)}
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one of the user's orders; another user's order is a 404."""
    order = get_object_or_404(selectors.order_list(user=request.user), pk=pk)
    return render(request, "shop/order_detail.html", {"order": order})


def safe_next_url(request: HttpRequest, next_url: str, *, default: str) -> str:
    """Return ``next_url`` when it stays on this site, else ``default`` (no open redirect)."""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default
