"""``python -m kit.testing.relay_process``: an outbox relay configured from unprefixed environment
variables (DATABASE_URL, AMQP_URL, EXCHANGE, …), so kit's tests can kill and restart a real process."""

import asyncio
import logging

from kit.relay import OutboxRelay
from kit.service import run_until_signalled
from kit.settings import ServiceSettings

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run_until_signalled(OutboxRelay(ServiceSettings()).run))
