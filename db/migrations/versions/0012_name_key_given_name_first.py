"""cadres.name_key by given name first ("mai dzo thi"), as Vietnamese lists and /find order people

0011 keyed names family name first; a database that ran it keeps those keys until recomputed here, and new or
renamed cadres would otherwise be keyed the new way beside them (two orders in one list).

Revision ID: 0012_name_key_given_name_first
Revises: 0011_cadre_name_key
Create Date: 2026-11-27 09:45:00
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = '0012_name_key_given_name_first'
down_revision = '0011_cadre_name_key'
branch_labels = None
depends_on = None


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def _given_name_first(full_name: str) -> str:
    """db.collation.name_key as of this revision (a migration does not follow later code)."""
    words = unicodedata.normalize("NFC", full_name).casefold().split()
    return _without_marks(" ".join(words[-1:] + words[:-1])).replace("đ", "dz")


def _family_name_first(full_name: str) -> str:
    """0011's key."""
    return _without_marks(" ".join(unicodedata.normalize("NFC", full_name).split()).casefold()).replace("đ", "dz")


def _rekey(key: Callable[[str], str]) -> None:
    bind = op.get_bind()
    cadres = sa.table('cadres', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                      sa.column('name_key', sa.String))
    keys = [{"row_id": row_id, "key": key(name)} for row_id, name in bind.execute(
        sa.select(cadres.c.id, cadres.c.full_name))]
    if keys:
        bind.execute(cadres.update().where(cadres.c.id == sa.bindparam("row_id")).values(name_key=sa.bindparam("key")),
                     keys)


def upgrade() -> None:
    _rekey(_given_name_first)


def downgrade() -> None:
    _rekey(_family_name_first)
