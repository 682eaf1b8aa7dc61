"""login throttle table; staff API token expiry, rotation and revocation

Existing staff tokens get 90 days from the upgrade, so nothing stops working at once.

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index(op.f('ix_login_throttle_window_start'), 'login_throttle', ['window_start'], unique=False)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('token_rotated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('token_revoked_at', sa.DateTime(timezone=True), nullable=True))
    staff = sa.table('staff', sa.column('token_expires_at', sa.DateTime(timezone=True)))
    op.execute(staff.update().values(token_expires_at=datetime.now(UTC) + timedelta(days=90)))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('token_revoked_at')
        batch_op.drop_column('token_rotated_at')
        batch_op.drop_column('token_expires_at')
    op.drop_index(op.f('ix_login_throttle_window_start'), table_name='login_throttle')
    op.drop_table('login_throttle')
