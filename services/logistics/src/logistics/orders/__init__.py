"""Orders of aids to a recipient (LG-11): the cart, lines with components and replacements, submit with
stock reservation, cancel while registered, delivery; partner-region events (LG-19)."""
