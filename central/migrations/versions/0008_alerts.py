"""alerts: heartbeat vitals on stations, alerts, per-county delivery settings, delivery queue

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ACTIVE = sa.text('resolved_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_interval_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock_skew_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('outbox_oldest_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disk_free_mb', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disk_total_mb', sa.Integer(), nullable=True))
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('clear_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_alerts_active', 'alerts', ['station_id', 'kind'], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
    op.create_index('ix_alerts_county_state', 'alerts', ['county', 'state'])
    op.create_table(
        'alert_settings',
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('smtp_host', sa.String(length=200), nullable=False),
        sa.Column('smtp_port', sa.Integer(), nullable=False),
        sa.Column('smtp_starttls', sa.Boolean(), nullable=False),
        sa.Column('smtp_from', sa.String(length=200), nullable=False),
        sa.Column('smtp_to', sa.JSON(), nullable=False),
        sa.Column('webhook_url', sa.String(length=500), nullable=False),
        sa.Column('webhook_secret', sa.String(length=200), nullable=False),
        sa.Column('quiet_hours', sa.String(length=11), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('county'),
    )
    op.create_table(
        'alert_deliveries',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['alert_id'], ['alerts.id']),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_alert_deliveries_alert_id', 'alert_deliveries', ['alert_id'])
    op.create_index('ix_alert_deliveries_due', 'alert_deliveries', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_alert_deliveries_due', table_name='alert_deliveries')
    op.drop_index('ix_alert_deliveries_alert_id', table_name='alert_deliveries')
    op.drop_table('alert_deliveries')
    op.drop_table('alert_settings')
    op.drop_index('ix_alerts_county_state', table_name='alerts')
    op.drop_index('uq_alerts_active', table_name='alerts')
    op.drop_table('alerts')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('disk_total_mb')
        batch_op.drop_column('disk_free_mb')
        batch_op.drop_column('outbox_oldest_s')
        batch_op.drop_column('clock_skew_s')
        batch_op.drop_column('heartbeat_interval_s')
