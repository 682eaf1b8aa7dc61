"""statistics: hourly counts per station and metric, their daily and monthly sums, and each
county's visits by month, weekday and hour (no person data)

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
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
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('station_id', 'day', 'metric'),
    )
    op.create_index('ix_station_stats_daily_day', 'station_stats_daily', ['day'])
    op.create_table(
        'station_stats_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('month', 'station_id', 'metric'),
    )
    op.create_table(
        'county_visit_hours',
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('weekday', sa.SmallInteger(), nullable=False),
        sa.Column('hour', sa.SmallInteger(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('county', 'month', 'weekday', 'hour'),
    )


def downgrade() -> None:
    op.drop_table('county_visit_hours')
    op.drop_table('station_stats_monthly')
    op.drop_index('ix_station_stats_daily_day', table_name='station_stats_daily')
    op.drop_table('station_stats_daily')
    op.drop_index('ix_station_stats_day_metric', table_name='station_stats')
    op.drop_table('station_stats')
