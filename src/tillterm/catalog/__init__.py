"""What the store sells and how it is set up: products, store settings, tax rates."""

from tillterm.catalog.products import ProductInfo, find_product, search_products
from tillterm.catalog.settings import StoreInfo, TaxInfo, load_settings, update_settings

__all__ = [
    "ProductInfo",
    "StoreInfo",
    "TaxInfo",
    "find_product",
    "load_settings",
    "search_products",
    "update_settings",
]
