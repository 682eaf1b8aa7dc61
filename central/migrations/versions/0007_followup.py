"""follow-up of applications: workflow status, events, access log, seeker hash, retention

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_final_days', sa.Integer(), nullable=False,
                                      server_default='30'))
        batch_op.add_column(sa.Column('retention_max_days', sa.Integer(), nullable=False,
                                      server_default='90'))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('seeker_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='new'))
        batch_op.add_column(sa.Column('status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('referred_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    # Existing rows: the county of their station; a withdrawn flag becomes the status.
    op.execute("UPDATE applications SET county = (SELECT stations.county FROM stations "
               "WHERE stations.id = applications.station_id)")
    op.execute("UPDATE applications SET status = 'withdrawn' WHERE withdrawn")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('county', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_foreign_key('fk_applications_county', 'counties', ['county'], ['code'])
        batch_op.create_index('ix_applications_seeker_hash', ['seeker_hash'], unique=False)
        batch_op.create_index('ix_applications_county_created', ['county', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_applications_county_status_created',
                              ['county', 'status', 'created_at', 'id'], unique=False)
    op.create_table(
        'application_counts',
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('county', 'status'),
    )
    op.execute("INSERT INTO application_counts (county, status, n) "
               "SELECT county, status, count(*) FROM applications GROUP BY county, status")
    op.create_table(
        'application_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_application_events_application_id', 'application_events',
                    ['application_id'], unique=False)
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id']),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_access_log_county_at', 'access_log', ['county', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_log_county_at', table_name='access_log')
    op.drop_table('access_log')
    op.drop_index('ix_application_events_application_id', table_name='application_events')
    op.drop_table('application_events')
    op.drop_table('application_counts')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_county_status_created')
        batch_op.drop_index('ix_applications_county_created')
        batch_op.drop_index('ix_applications_seeker_hash')
        batch_op.drop_constraint('fk_applications_county', type_='foreignkey')
        for column in ('erased_at', 'referred_by', 'referred_at', 'attempts', 'status_by',
                       'status_at', 'status', 'seeker_hash', 'county'):
            batch_op.drop_column(column)
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_column('retention_max_days')
        batch_op.drop_column('retention_final_days')
