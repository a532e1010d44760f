from django.test import override_settings

from shop.conf import shop_settings


def test_shop_settings_read_lazily_with_defaults() -> None:
    """shop_settings reads settings.SHOP on each access and falls back to the defaults."""
    assert shop_settings.NAME == "Shop A"
    assert shop_settings.CURRENCY == "EUR"
    with override_settings(SHOP={"NAME": "Other"}):
        assert shop_settings.NAME == "Other"
        assert shop_settings.ACCENT_COLOR == "#2563eb"
