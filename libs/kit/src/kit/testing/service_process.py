"""``python -m kit.testing.service_process``: a ``Service`` serving the sample's waiting route
(``kit.testing.sample.router``) over HTTP, configured from unprefixed environment variables (DATABASE_URL,
HTTP_PORT, …), so kit's tests can signal a real service process."""

from pathlib import Path

from kit.service import Service
from kit.settings import ServiceSettings
from kit.testing.sample import router

if __name__ == "__main__":
    Service(ServiceSettings(), root=Path(__file__).parent, routers=[router]).main()
