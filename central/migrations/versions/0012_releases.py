"""releases: stations.update_failed_*, TUF keys and published files, releases, per-county / per-station assignments

Revision ID: 0012
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_failed_version', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('update_failed_reason', sa.String(length=300), nullable=True))
    op.create_table(
        'tuf_keys',
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('keyid', sa.String(length=64), nullable=False),
        sa.Column('public', sa.JSON(), nullable=False),
        sa.Column('private_enc', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('role'),
    )
    op.create_table(
        'tuf_files',
        sa.Column('path', sa.String(length=400), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('path'),
    )
    op.create_table(
        'releases',
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('manifest', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('version'),
    )
    op.create_table(
        'release_assignments',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('county', sa.String(length=16), nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=True),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['county'], ['counties.code']),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id']),
        sa.ForeignKeyConstraint(['version'], ['releases.version']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'station_id', name='uq_release_assignment_scope'),
    )
    with op.batch_alter_table('release_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_release_assignments_county', ['county'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('release_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_release_assignments_county')
    op.drop_table('release_assignments')
    op.drop_table('releases')
    op.drop_table('tuf_files')
    op.drop_table('tuf_keys')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('update_failed_reason')
        batch_op.drop_column('update_failed_version')
