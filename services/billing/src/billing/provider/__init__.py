"""The payment provider behind an interface (``base.PaymentProvider``) and its development stub."""
