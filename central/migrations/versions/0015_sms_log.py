"""sms_log: SMS to seekers, their daily cap and quiet-hour holds (central.sms)

Revision ID: 0015
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sms_log',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('person_hash', sa.String(length=64), nullable=True),
        sa.Column('ref', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('template', sa.String(length=64), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
        sa.Column('provider_id', sa.String(length=64), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'ref', name='uq_sms_log_county_ref'),
    )
    op.create_index('ix_sms_log_person_day', 'sms_log', ['person_hash', 'day'])
    op.create_index('ix_sms_log_due', 'sms_log', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_sms_log_due', table_name='sms_log')
    op.drop_index('ix_sms_log_person_day', table_name='sms_log')
    op.drop_table('sms_log')
