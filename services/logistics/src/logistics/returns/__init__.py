"""Aids coming back (LG-12, LG-13): pickup orders with their reasons and printouts, returns of B-aids
to the own buffer store (optionally scrapped) after a return receipt; work orders (LG-14: activities)
and deviations and complaints (LG-15) live beside them in ``activities``."""
