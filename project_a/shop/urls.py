"""The shop's routes (namespace ``shop``); see docs/contract.md, "Shops"."""

from django.urls import path

from shop import metrics, views
from stack_settings import health

app_name = "shop"

urlpatterns = [
    path("", views.CatalogView.as_view(), name="catalog"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product_detail"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/<int:product_id>/", views.cart_add, name="cart_add"),
    path("cart/update/<int:product_id>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    # Liveness and readiness probes, the same on every server (stack_settings.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Internal network or METRICS_TOKEN only (stack_settings.metrics).
    path("metrics", metrics.metrics, name="metrics"),
]
