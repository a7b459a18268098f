"""The assortment (LG-3..LG-6): articles, the ISO 9999 tree, search, replacement groups and the
components that make an individual's template."""
