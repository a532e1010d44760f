"""Settings for shop B, A's fork: the shared shop settings, B's name and look, plus wishlists."""

from pathlib import Path

from shop.project_settings import shop_project_settings

globals().update(
    shop_project_settings(
        project="shop_b",
        base_dir=Path(__file__).resolve().parent.parent,
        public_url_env="SHOP_B_URL",
        default_public_url="http://localhost:8002",
        shop={
            "NAME": "Shop B",
            "TAGLINE": "Small batches, big ideas.",
            "ACCENT_COLOR": "#b45309",
            "EXTRA_STYLESHEETS": ["b_extras/shop_b.css"],
        },
        extra_apps=("b_extras",),
    )
)
