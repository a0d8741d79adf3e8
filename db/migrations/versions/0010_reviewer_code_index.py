"""index cadres.reviewer_code: finding a manager's reviewees scanned every cadre (weekly digest: 108 s)

Revision ID: 0010_reviewer_code_index
Revises: 0009_h7_course_cancel_reason
Create Date: 2026-11-26 16:50:00
"""

from __future__ import annotations

from alembic import op

revision = '0010_reviewer_code_index'
down_revision = '0009_h7_course_cancel_reason'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadres_reviewer_code'), ['reviewer_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadres_reviewer_code'))
