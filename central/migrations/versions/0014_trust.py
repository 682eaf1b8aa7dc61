"""trust: employers, guidance wages, job reports; jobs.employer_id / employer_verified /
guidance_amount; counties.report_threshold

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_threshold', sa.Integer(), server_default='3', nullable=False))
    op.create_table(
        'employers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('licence_seen', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('verified_by', sa.String(length=64), nullable=True),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'uscc', name='uq_employers_county_uscc'),
    )
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.create_index('ix_employers_county', ['county'], unique=False)
    op.create_table(
        'guidance_wages',
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('pay_unit', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.PrimaryKeyConstraint('county', 'category', 'pay_unit'),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('employer_verified', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('guidance_amount', sa.Float(), nullable=True))
        batch_op.create_index('ix_jobs_employer_id', ['employer_id'], unique=False)
        batch_op.create_foreign_key('fk_jobs_employer_id', 'employers', ['employer_id'], ['id'])
    op.create_table(
        'job_reports',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('visit', sa.String(length=64), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('station_id', 'idempotency_key'),
    )
    with op.batch_alter_table('job_reports', schema=None) as batch_op:
        batch_op.create_index('ix_job_reports_job_status', ['job_id', 'status'], unique=False)
        batch_op.create_index('ix_job_reports_county_status_created', ['county', 'status', 'created_at'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('job_reports')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint('fk_jobs_employer_id', type_='foreignkey')
        batch_op.drop_index('ix_jobs_employer_id')
        batch_op.drop_column('guidance_amount')
        batch_op.drop_column('employer_verified')
        batch_op.drop_column('employer_id')
    op.drop_table('guidance_wages')
    op.drop_table('employers')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_column('report_threshold')
