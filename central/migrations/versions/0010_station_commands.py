"""station commands: signed remote diagnostics commands and their results

Revision ID: 0010
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'station_commands',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result_detail', sa.String(length=500), nullable=False),
        sa.Column('result_type', sa.String(length=32), nullable=True),
        sa.Column('result_data', sa.LargeBinary(), nullable=True),
        sa.Column('result_size', sa.Integer(), nullable=True),
        sa.Column('notes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('nonce'),
    )
    op.create_index('ix_station_commands_station_state', 'station_commands', ['station_id', 'state'])


def downgrade() -> None:
    op.drop_index('ix_station_commands_station_state', table_name='station_commands')
    op.drop_table('station_commands')
