pytest_plugins = ["shop.testing"]
