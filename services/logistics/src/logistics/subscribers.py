"""Logistics's event handlers: parse a contract, call a use case, nothing else."""

from kit.bus import Consumers
from logistics.tenancy import directory

consumers = Consumers()

#: the copy of the gateway's directory: organisations and memberships (who is granted which unit and store)
directory.subscribe(consumers)
