"""language_order: the welcome folders' four languages first, then all others A-Z

Revision ID: 0007_language_order
Revises: 0006_export_jobs
Create Date: 2026-12-02

The seed numbered the languages as its list ran: the working folder's translations A-Z, then
the further languages HEKS interprets A-Z, with Persian among the Ds. Every list of languages
(catalogue, order form, documents) follows sort_order, so the data is renumbered once here; new
databases get the same order from `flask seed katalog`. Only an order: downgrade keeps it.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_language_order"
down_revision = "0006_export_jobs"
branch_labels = None
depends_on = None

languages = sa.table(
    "languages",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("sort_order", sa.Integer),
    sa.column("welcome_folder", sa.Boolean),
)


def _german(name: str) -> str:
    """orders.formatting.german_sort_key as it was, copied so this migration stays as it is."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(languages)).all()
    first = sorted((row for row in rows if row.welcome_folder), key=lambda row: row.sort_order)
    others = sorted(
        (row for row in rows if not row.welcome_folder), key=lambda row: _german(row.name)
    )
    for position, row in enumerate([*first, *others]):
        connection.execute(
            languages.update().where(languages.c.code == row.code).values(sort_order=position)
        )


def downgrade():
    pass
