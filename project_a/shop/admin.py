"""The shop's Django admin: catalog and orders, for shop staff."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shop.models import Category, Order, OrderLine, Product


def _is_shop_staff(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff


class ShopStaffPermissions:
    """Let every active staff user manage the shop's models (a mixin for admins and inlines).

    Staff status comes from the identity server's groups (the project's ``SSO_CLIENT`` maps
    ``shop-staff`` to ``is_staff``), and shadow users carry no local permissions, so being staff
    is the permission.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_shop_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_shop_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_shop_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_shop_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_shop_staff(request)


class ShopStaffAdmin(ShopStaffPermissions, admin.ModelAdmin):
    """A model admin for shop staff."""


@admin.register(Category)
class CategoryAdmin(ShopStaffAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Product)
class ProductAdmin(ShopStaffAdmin):
    list_display = ["name", "category", "price", "stock", "active"]
    list_editable = ["price", "stock", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class OrderLineInline(ShopStaffPermissions, admin.TabularInline):
    """An order's lines, read-only: staff see them without the local permissions they lack."""

    model = OrderLine
    fields = ["product", "product_name", "unit_price", "quantity"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ShopStaffAdmin):
    """Orders as placed: only the status changes after checkout."""

    list_display = ["__str__", "user", "status", "total", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "created_at"
    fields = ["user", "status", "total", "created_at"]
    readonly_fields = ["user", "total", "created_at"]
    inlines = [OrderLineInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
