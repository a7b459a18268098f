"""Notify's event handlers: parse a contract, call a use case, nothing else."""

from kit.bus import Consumers

consumers = Consumers()
