"""URLs of shop B: B's own routes (wishlist, its product page) before the shop's."""

from django.urls import include, path

from shop.project_urls import shop_project_urlpatterns

urlpatterns = shop_project_urlpatterns(path("", include("b_extras.urls")))
