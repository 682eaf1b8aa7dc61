"""statistics: hourly counts per station and metric, and their daily sums (no person data)

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'station_stats',
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('hour', sa.SmallInteger(), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('station_id', 'day', 'hour', 'metric'),
    )
    op.create_index('ix_station_stats_day_metric', 'station_stats', ['day', 'metric'])
    op.create_table(
        'station_stats_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('day', 'station_id', 'metric'),
    )


def downgrade() -> None:
    op.drop_table('station_stats_daily')
    op.drop_index('ix_station_stats_day_metric', table_name='station_stats')
    op.drop_table('station_stats')
