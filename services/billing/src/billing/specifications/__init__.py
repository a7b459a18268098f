"""Invoice specifications for the aid logistics (BL-8): per payer, invoice period and type."""
