"""A small app for the tests: a shop's orders, and a model of the legacy database."""
