from django.apps import AppConfig


class BExtrasConfig(AppConfig):
    """What shop B adds to the shop: wishlists."""

    name = "b_extras"
    verbose_name = "Shop B extras"
    default_auto_field = "django.db.models.BigAutoField"
