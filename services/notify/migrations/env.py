"""Alembic environment of the notify database: the same for every service (kit.migrations.run_env)."""

from alembic import context

from kit.migrations import run_env
from notify.models import Base
from notify.settings import Settings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", Settings().database_url.replace("%", "%%"))

run_env(Base.metadata)
