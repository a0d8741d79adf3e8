"""cadres.name_key: people listed by the database in Vietnamese alphabetical order (Đ after D, not after Vũ)

Revision ID: 0011_cadre_name_key
Revises: 0010_reviewer_code_index
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0011_cadre_name_key'
down_revision = '0010_reviewer_code_index'
branch_labels = None
depends_on = None

KEY_TYPE = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _name_key(full_name: str) -> str:
    """db.collation.name_key as of this revision (a migration does not follow later code)."""
    folded = " ".join(unicodedata.normalize("NFC", full_name).split()).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))
    return bare.replace("đ", "dz")


def upgrade() -> None:
    # Added in place, NOT NULL with an empty default, then filled: SQLite can add such a column without rebuilding
    # the table, and a rebuild drops "cadres", which SQLite refuses while evaluations and registrations point at it.
    op.add_column('cadres', sa.Column('name_key', KEY_TYPE, nullable=False, server_default=''))
    bind = op.get_bind()
    cadres = sa.table('cadres', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                      sa.column('name_key', KEY_TYPE))
    keys = [{"row_id": row_id, "key": _name_key(name)} for row_id, name in bind.execute(
        sa.select(cadres.c.id, cadres.c.full_name))]
    if keys:
        bind.execute(cadres.update().where(cadres.c.id == sa.bindparam("row_id")).values(name_key=sa.bindparam("key")),
                     keys)
    if bind.dialect.name != "sqlite":  # every writer gives the key; SQLite would need a rebuild to drop a default
        op.alter_column('cadres', 'name_key', server_default=None)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place (no rebuild, as above)
        op.execute("ALTER TABLE cadres DROP COLUMN name_key")
    else:
        op.drop_column('cadres', 'name_key')
