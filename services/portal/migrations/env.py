"""Alembic environment of the portal database: the same for every service (kit.migrations.run_env)."""

from alembic import context

from kit.migrations import run_env
from portal.models import Base
from portal.settings import Settings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", Settings().database_url.replace("%", "%%"))

run_env(Base.metadata)
