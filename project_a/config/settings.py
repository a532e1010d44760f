"""Settings for shop A: the shared shop settings (shop.project_settings), named for this project."""

from pathlib import Path

from shop.project_settings import shop_project_settings

globals().update(
    shop_project_settings(
        project="shop_a",
        base_dir=Path(__file__).resolve().parent.parent,
        public_url_env="SHOP_A_URL",
        default_public_url="http://localhost:8001",
        shop={
            "NAME": "Shop A",
            "TAGLINE": "Everyday things, well made.",
            "ACCENT_COLOR": "#2563eb",
        },
    )
)
