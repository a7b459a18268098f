"""Outside systems of the gateway behind adapters (kit.adapters): a Protocol, the development stub (or
development CA), the production adapter."""
