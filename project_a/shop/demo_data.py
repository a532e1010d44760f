"""The demo catalog that ``manage.py seed_demo`` creates: category name -> products."""

from decimal import Decimal

DEMO_CATALOG: dict[str, list[dict]] = {
    "Kitchen": [
        {
            "slug": "enamel-mug",
            "name": "Enamel Mug",
            "description": "A sturdy enamel mug for coffee at home or by the campfire.",
            "price": Decimal("12.50"),
            "stock": 25,
            "colour": "#1e90ff",
        },
        {
            "slug": "olive-wood-spoon",
            "name": "Olive Wood Spoon",
            "description": "Hand-carved from a single piece of olive wood.",
            "price": Decimal("9.00"),
            "stock": 40,
            "colour": "#a0522d",
        },
        {
            "slug": "cast-iron-pan",
            "name": "Cast Iron Pan",
            "description": "A 26 cm pan that lasts a lifetime and gets better with use.",
            "price": Decimal("49.00"),
            "stock": 8,
            "colour": "#2f2f2f",
        },
    ],
    "Home": [
        {
            "slug": "linen-tea-towel",
            "name": "Linen Tea Towel",
            "description": "Stonewashed linen, soft from the first use.",
            "price": Decimal("14.00"),
            "stock": 30,
            "colour": "#d2b48c",
        },
        {
            "slug": "beeswax-candle",
            "name": "Beeswax Candle",
            "description": "Pure beeswax, burns for about 40 hours.",
            "price": Decimal("18.00"),
            "stock": 15,
            "colour": "#f4c430",
        },
        {
            "slug": "wool-throw",
            "name": "Wool Throw",
            "description": "A warm throw woven from undyed wool.",
            "price": Decimal("89.00"),
            "stock": 5,
            "colour": "#708090",
        },
    ],
    "Stationery": [
        {
            "slug": "dot-grid-notebook",
            "name": "Dot Grid Notebook",
            "description": "A5, 160 numbered pages of fountain-pen-friendly paper.",
            "price": Decimal("16.00"),
            "stock": 50,
            "colour": "#2e8b57",
        },
        {
            "slug": "brass-pencil",
            "name": "Brass Pencil",
            "description": "A refillable mechanical pencil in solid brass.",
            "price": Decimal("32.00"),
            "stock": 3,
            "colour": "#b5a642",
        },
    ],
}
