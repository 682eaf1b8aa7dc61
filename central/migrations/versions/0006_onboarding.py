"""onboarding: disabled stations and staff, one-time enrolment codes, first-login password change

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('enrol_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('enrol_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('enrol_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_stations_enrol_code_hash', ['enrol_code_hash'], unique=True)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('disabled')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_index('ix_stations_enrol_code_hash')
        batch_op.drop_column('enrol_used_at')
        batch_op.drop_column('enrol_expires_at')
        batch_op.drop_column('enrol_code_hash')
        batch_op.drop_column('disabled')
