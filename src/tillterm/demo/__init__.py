"""A demo store: reference data, products and any number of realistic customers."""

from tillterm.demo.seeding import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]
