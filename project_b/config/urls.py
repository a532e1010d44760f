"""URLs of shop B: B's own routes (wishlist), then shop A's (admin, SSO, shop, media).

B adds to the shop's pages through template include points and tags (b_extras), never by routing
a shop URL to another view.
"""

from django.urls import include, path

from shop_a_config.urls import urlpatterns as shop_a_urlpatterns

urlpatterns = [
    path("wishlist/", include("b_extras.urls")),
    *shop_a_urlpatterns,
]

# An unreachable database answers 503 "try again shortly", not 500 (shop A's handler).
handler500 = "stack_settings.faults.server_error"
