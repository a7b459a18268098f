"""Billing service. Payments, refunds, the ledger, payouts, billing cards, invoices and invoice specifications."""
