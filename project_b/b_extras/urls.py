"""Shop B's routes (namespace ``b_extras``), mounted before ``include("shop.urls")``."""

from django.urls import path

from b_extras import views

app_name = "b_extras"

urlpatterns = [
    # Same path as shop:product_detail, so reversing that name still works; this one wins.
    path(
        "products/<slug:slug>/",
        views.WishlistProductDetailView.as_view(),
        name="product_detail",
    ),
    path("wishlist/", views.wishlist_detail, name="wishlist"),
    path("wishlist/add/<int:product_id>/", views.wishlist_add, name="wishlist_add"),
    path("wishlist/remove/<int:product_id>/", views.wishlist_remove, name="wishlist_remove"),
]
