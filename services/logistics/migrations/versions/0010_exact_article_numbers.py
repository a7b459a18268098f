"""Exact article and supplier article numbers found by btree (LG-4): a search for one term that is exactly
an article's number or its supplier's article number is answered by these indexes before the trigram
search, case-insensitively.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX articles_number_lower ON articles (lower(number))")
    op.execute("CREATE INDEX articles_supplier_article_number_lower ON articles (lower(supplier_article_number))")


def downgrade() -> None:
    op.execute("DROP INDEX articles_supplier_article_number_lower")
    op.execute("DROP INDEX articles_number_lower")
