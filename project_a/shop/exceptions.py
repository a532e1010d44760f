"""Errors the shop's services raise; their message is shown to the customer as is."""


class ShopError(Exception):
    """A request the shop refuses, with a message for the customer."""

    @property
    def message(self) -> str:
        return str(self)


class InvalidQuantityError(ShopError):
    """A quantity outside ``minimum``..``maximum`` (``SHOP["MAX_QUANTITY"]``)."""

    def __init__(self, *, minimum: int, maximum: int) -> None:
        super().__init__(f"Please choose a quantity between {minimum} and {maximum}.")


class OutOfStockError(ShopError):
    """Fewer items in stock than asked for, or the product is no longer sold."""


class EmptyCartError(ShopError):
    """A checkout of a cart with nothing in it."""
