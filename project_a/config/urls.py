"""URLs of shop A: the shop's standard routes (admin, SSO, shop)."""

from shop.project_urls import shop_project_urlpatterns

urlpatterns = shop_project_urlpatterns()
