"""Alembic environment of the logistics database: the same for every service (kit.migrations.run_env)."""

from alembic import context

from kit.migrations import run_env
from logistics.models import Base, load_all_models
from logistics.settings import Settings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", Settings().database_url.replace("%", "%%"))

load_all_models()
run_env(Base.metadata)
