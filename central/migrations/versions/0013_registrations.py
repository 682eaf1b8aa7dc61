"""standing registrations (issue 16): registrations, their matching index and idempotency keys,
matches and their events; access_log rows may name a match instead of an application

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'registrations',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('seeker_hash', sa.String(length=64), nullable=True),
        sa.Column('seeker_enc', sa.LargeBinary(), nullable=False),
        sa.Column('card_type', sa.String(length=16), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('wants', sa.JSON(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lng', sa.Float(), nullable=False),
        sa.Column('reach_km', sa.Float(), nullable=False),
        sa.Column('sms', sa.Boolean(), nullable=False),
        sa.Column('consent_version', sa.String(length=64), nullable=False),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('consent_days', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_registrations_county_seeker', 'registrations', ['county', 'seeker_hash'])
    op.create_index('ix_registrations_status_expires', 'registrations', ['status', 'expires_at'])
    op.create_index('uq_registrations_open_person', 'registrations', ['county', 'seeker_hash'],
                    unique=True, sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))
    op.create_table(
        'registration_wants',
        sa.Column('registration_id', sa.String(length=36), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('reach_km', sa.Float(), nullable=False),
        sa.Column('days_mask', sa.SmallInteger(), nullable=False),
        sa.Column('settlement', sa.String(length=16), nullable=False),
        sa.Column('pay_unit', sa.String(length=8), nullable=True),
        sa.Column('pay_min', sa.Float(), nullable=True),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sms', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id']),
        sa.PrimaryKeyConstraint('registration_id', 'category'),
    )
    op.create_index('ix_registration_wants_lookup', 'registration_wants',
                    ['category', 'station_id', 'reach_km'])
    op.create_table(
        'registration_requests',
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('response', sa.Text(), nullable=False),
        sa.Column('registration_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('station_id', 'idempotency_key'),
    )
    op.create_index('ix_registration_requests_registration_id', 'registration_requests',
                    ['registration_id'])
    op.create_table(
        'matches',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('registration_id', sa.String(length=36), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('distance_km', sa.Float(), nullable=False),
        sa.Column('walk_minutes', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status_by', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('referred_by', sa.String(length=64), nullable=True),
        sa.Column('sms_state', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id']),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('registration_id', 'job_id', name='uq_matches_registration_job'),
    )
    op.create_index('ix_matches_county_status_score', 'matches', ['county', 'status', 'score'])
    op.create_index('ix_matches_job_status', 'matches', ['job_id', 'status'])
    op.create_table(
        'match_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('match_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_match_events_match_id', 'match_events', ['match_id'])
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.alter_column('application_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('match_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_access_log_match_id', 'matches', ['match_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM access_log WHERE application_id IS NULL")
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_constraint('fk_access_log_match_id', type_='foreignkey')
        batch_op.drop_column('match_id')
        batch_op.alter_column('application_id', existing_type=sa.String(length=36), nullable=False)
    op.drop_index('ix_match_events_match_id', table_name='match_events')
    op.drop_table('match_events')
    op.drop_index('ix_matches_job_status', table_name='matches')
    op.drop_index('ix_matches_county_status_score', table_name='matches')
    op.drop_table('matches')
    op.drop_index('ix_registration_requests_registration_id', table_name='registration_requests')
    op.drop_table('registration_requests')
    op.drop_index('ix_registration_wants_lookup', table_name='registration_wants')
    op.drop_table('registration_wants')
    op.drop_index('uq_registrations_open_person', table_name='registrations')
    op.drop_index('ix_registrations_status_expires', table_name='registrations')
    op.drop_index('ix_registrations_county_seeker', table_name='registrations')
    op.drop_table('registrations')
