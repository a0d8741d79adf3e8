"""a cancelled course keeps when and why it was cancelled (shown to registrants and on its page)

Revision ID: 0009_h7_course_cancel_reason
Revises: 0008_h2_outbox_lease
Create Date: 2026-11-26 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_h7_course_cancel_reason'
down_revision = '0008_h2_outbox_lease'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancel_reason')
