"""Shop B's routes (namespace ``b_extras``), mounted at ``wishlist/``."""

from django.urls import path

from b_extras import views

app_name = "b_extras"

urlpatterns = [
    path("", views.wishlist_detail, name="wishlist"),
    path("add/<int:product_id>/", views.wishlist_add, name="wishlist_add"),
    path("remove/<int:product_id>/", views.wishlist_remove, name="wishlist_remove"),
]
