"""Writes: filling carts, placing orders, seeding the demo catalog."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from shop.conf import shop_settings
from shop.demo_data import DEMO_CATALOG
from shop.exceptions import EmptyCartError, InvalidQuantityError, OutOfStockError
from shop.models import Cart, CartItem, Category, Order, OrderLine, Product


def _check_available(*, product: Product, quantity: int) -> None:
    if not product.active:
        raise OutOfStockError(f'Sorry, "{product.name}" is no longer available.')
    if product.stock == 0:
        raise OutOfStockError(f'Sorry, "{product.name}" is out of stock.')
    if quantity > product.stock:
        raise OutOfStockError(f'Sorry, only {product.stock} of "{product.name}" left in stock.')


def _check_quantity(quantity: int, *, minimum: int = 1) -> None:
    maximum = shop_settings.MAX_QUANTITY
    if not minimum <= quantity <= maximum:
        raise InvalidQuantityError(minimum=minimum, maximum=maximum)


def cart_get_or_create(*, user: AbstractBaseUser) -> Cart:
    """Return the user's cart, creating an empty one on first use."""
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


@transaction.atomic
def cart_add_product(*, user: AbstractBaseUser, product: Product, quantity: int) -> CartItem:
    """Add ``quantity`` of ``product`` to the user's cart and return the cart line.

    Raise ``InvalidQuantityError`` or ``OutOfStockError`` (cart unchanged) when the line would
    exceed ``SHOP["MAX_QUANTITY"]`` or the stock. Stock is only reserved at checkout.
    """
    _check_quantity(quantity)
    cart = cart_get_or_create(user=user)
    item = CartItem.objects.filter(cart=cart, product=product).first()
    new_quantity = quantity + (item.quantity if item else 0)
    _check_quantity(new_quantity)
    _check_available(product=product, quantity=new_quantity)
    if item is None:
        return CartItem.objects.create(cart=cart, product=product, quantity=new_quantity)
    item.quantity = new_quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def cart_set_quantity(
    *, user: AbstractBaseUser, product: Product, quantity: int
) -> CartItem | None:
    """Set the quantity of ``product`` in the user's cart; 0 removes the line (returns None)."""
    _check_quantity(quantity, minimum=0)
    cart = cart_get_or_create(user=user)
    if quantity == 0:
        CartItem.objects.filter(cart=cart, product=product).delete()
        return None
    _check_available(product=product, quantity=quantity)
    item, _ = CartItem.objects.update_or_create(
        cart=cart, product=product, defaults={"quantity": quantity}
    )
    return item


def order_place(*, user: AbstractBaseUser) -> Order:
    """Turn the user's cart into an order, take the items out of stock, and empty the cart.

    All or nothing: raise ``EmptyCartError`` for an empty (or missing) cart and
    ``OutOfStockError`` when any line exceeds the stock, leaving stock, cart and orders
    unchanged. The cart row is locked, so a double-submitted checkout finds it empty; the product
    rows are locked (in primary-key order, so two checkouts cannot deadlock) until the stock is
    decremented, so two customers can never buy the same last item. SQLite has no row locks;
    there the IMMEDIATE transaction mode (settings) serialises the whole transaction instead.
    """
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(user=user).first()
        items = list(cart.items.order_by("product_id")) if cart else []
        if not items:
            raise EmptyCartError("Your cart is empty.")
        products = Product.objects.select_for_update().order_by("pk")
        locked = products.in_bulk([item.product_id for item in items])
        for item in items:
            _check_available(product=locked[item.product_id], quantity=item.quantity)

        order = Order.objects.create(
            user=user,
            total=sum((locked[i.product_id].price * i.quantity for i in items), Decimal("0.00")),
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=locked[item.product_id],
                product_name=locked[item.product_id].name,
                unit_price=locked[item.product_id].price,
                quantity=item.quantity,
            )
            for item in items
        )
        for item in items:
            product = locked[item.product_id]
            product.stock -= item.quantity
            product.save(update_fields=["stock", "updated_at"])
        cart.items.all().delete()
    return order


@transaction.atomic
def catalog_seed_demo() -> int:
    """Create the demo catalog's missing categories and products; return how many products.

    Idempotent: existing rows (found by slug) are left as they are, so a re-run never resets
    stock that orders have taken or prices an admin has changed.
    """
    created = 0
    for category_name, products in DEMO_CATALOG.items():
        category, _ = Category.objects.get_or_create(
            slug=category_name.lower().replace(" ", "-"), defaults={"name": category_name}
        )
        for fields in products:
            _, was_created = Product.objects.get_or_create(
                slug=fields["slug"], defaults={**fields, "category": category}
            )
            created += was_created
    return created
