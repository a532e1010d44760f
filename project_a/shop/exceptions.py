"""Errors the shop's services raise; their message is shown to the customer as is."""


class ShopError(Exception):
    """A request the shop refuses, with a message for the customer."""

    @property
    def message(self) -> str:
        return str(self)


class InvalidQuantityError(ShopError):
    """A quantity outside 1..SHOP["MAX_QUANTITY"]."""


class OutOfStockError(ShopError):
    """Fewer items in stock than asked for, or the product is no longer sold."""


class EmptyCartError(ShopError):
    """A checkout of a cart with nothing in it."""
