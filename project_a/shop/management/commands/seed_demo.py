"""``manage.py seed_demo``: create the demo catalog (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from shop.models import Product
from shop.services import catalog_seed_demo


class Command(BaseCommand):
    help = "Create the demo catalog's categories and products; existing ones are left as they are."

    def handle(self, *args: Any, **options: Any) -> None:
        created = catalog_seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {created} products created, {Product.objects.count()} in total."
            )
        )
