from django.contrib import admin

from b_extras.models import WishlistItem
from shop.admin import ShopStaffAdmin


@admin.register(WishlistItem)
class WishlistItemAdmin(ShopStaffAdmin):
    list_display = ["product", "user", "added_at"]
    search_fields = ["product__name", "user__email"]
    raw_id_fields = ["user", "product"]
