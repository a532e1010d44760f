"""Forms that parse the shop's POSTs; the limits come from ``SHOP`` settings."""

from typing import Any

from django import forms

from shop.conf import shop_settings


class QuantityForm(forms.Form):
    """A whole number between ``min_quantity`` and ``SHOP["MAX_QUANTITY"]``."""

    min_quantity = 1

    quantity = forms.IntegerField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.range_message = (
            f"Please choose a quantity between {self.min_quantity} "
            f"and {shop_settings.MAX_QUANTITY}."
        )
        field = self.fields["quantity"]
        field.error_messages = {"required": self.range_message, "invalid": self.range_message}
        field.widget.attrs.update({"min": self.min_quantity, "max": shop_settings.MAX_QUANTITY})

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if not self.min_quantity <= quantity <= shop_settings.MAX_QUANTITY:
            raise forms.ValidationError(self.range_message)
        return quantity

    def error_message(self) -> str:
        """Return the first error as one sentence for a flash message."""
        return self.errors["quantity"][0] if "quantity" in self.errors else self.range_message


class AddToCartForm(QuantityForm):
    """How many of a product to add to the cart."""


class CartUpdateForm(QuantityForm):
    """The new quantity of a cart line; 0 removes it."""

    min_quantity = 0
