"""Imports every contract module so the registry knows every event type."""

from contracts.billing import v1 as billing_v1
from contracts.booking import v1 as booking_v1
from contracts.gateway import v1 as gateway_v1
from contracts.logistics import v1 as logistics_v1

MODULES = [gateway_v1, booking_v1, billing_v1, logistics_v1]
