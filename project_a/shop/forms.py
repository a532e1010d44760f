"""Forms that parse the shop's POSTs; the quantity's range is checked by shop.services."""

from typing import Any

from django import forms

from shop.conf import shop_settings
from shop.exceptions import InvalidQuantityError


class QuantityForm(forms.Form):
    """A whole number; the input offers ``min_quantity``..``SHOP["MAX_QUANTITY"]``.

    The range itself is enforced once, by the cart services, which also check the sum of what
    is added to a line; here an input that is not a number gets the same message.
    """

    min_quantity = 1

    quantity = forms.IntegerField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maximum = shop_settings.MAX_QUANTITY
        message = InvalidQuantityError(minimum=self.min_quantity, maximum=maximum).message
        field = self.fields["quantity"]
        field.error_messages = {"required": message, "invalid": message}
        field.widget.attrs.update({"min": self.min_quantity, "max": maximum})

    def error_message(self) -> str:
        """Return the quantity's error as one sentence for a flash message."""
        return self.errors["quantity"][0]


class AddToCartForm(QuantityForm):
    """How many of a product to add to the cart."""


class CartUpdateForm(QuantityForm):
    """The new quantity of a cart line; 0 removes it."""

    min_quantity = 0
