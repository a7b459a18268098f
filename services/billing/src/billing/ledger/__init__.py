"""The double-entry ledger (BL-3): every money event as balanced postings in minor units."""
