from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Title the admin after the shop and connect the metrics' receiver.

        The title is read lazily, so tests can override settings.
        """
        from django.contrib import admin
        from django.utils.functional import lazy

        from shop import metrics
        from shop.conf import shop_settings

        metrics.connect()

        admin.site.site_header = lazy(lambda: f"{shop_settings.NAME} administration", str)()
        admin.site.site_title = lazy(lambda: f"{shop_settings.NAME} admin", str)()
