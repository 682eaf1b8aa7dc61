"""keyed request hashes, one application per person and job, per-station rate index,
county id prefixes

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_prefix', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint('uq_counties_id_prefix', ['id_prefix'])
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_applications_job_person', ['job_id', 'person_hash'])
        batch_op.create_index('ix_applications_station_created', ['station_id', 'created_at'],
                              unique=False)
    # The old values were plain SHA-256 of the body, seeker included: anyone with the database
    # could confirm "person X applied for job Y". They cannot be re-keyed here (no data key),
    # so they are erased; a repeat of such an old key is then replayed whatever its body.
    op.execute("UPDATE applications SET request_hash = ''")


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_station_created')
        batch_op.drop_constraint('uq_applications_job_person', type_='unique')
        batch_op.drop_column('person_hash')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_constraint('uq_counties_id_prefix', type_='unique')
        batch_op.drop_column('id_prefix')
