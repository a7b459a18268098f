"""Alembic environment of the billing database: the same for every service (kit.migrations.run_env)."""

from alembic import context

from billing.models import Base
from billing.settings import Settings
from kit.migrations import run_env

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", Settings().database_url.replace("%", "%%"))

run_env(Base.metadata)
