"""periodic_runs: periodic jobs claimed once per period across central instances;
PostgreSQL: NOTIFY gig_central_tokens when a token stops or changes meaning (auth.TokenCache)

Revision ID: 0011
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


# Every instance LISTENs on this channel and drops the named token hash from its cache. In
# the database, so every writer (API, admin pages, the CLI, plain SQL) is covered, and sent at
# commit (NOTIFY is transactional): no instance can reload the old row after the event.
TOKEN_TRIGGERS = [
    """CREATE FUNCTION gig_central_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.token_hash IS NOT NULL THEN
            PERFORM pg_notify('gig_central_tokens', OLD.token_hash);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.token_hash IS NOT NULL
                AND NEW.token_hash IS DISTINCT FROM OLD.token_hash THEN
            PERFORM pg_notify('gig_central_tokens', NEW.token_hash);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER stations_token_changed AFTER UPDATE OF token_hash, disabled, county
    ON stations FOR EACH ROW WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
        OR OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.county IS DISTINCT FROM NEW.county)
    EXECUTE FUNCTION gig_central_token_changed()""",
    """CREATE TRIGGER stations_token_deleted AFTER DELETE ON stations
    FOR EACH ROW EXECUTE FUNCTION gig_central_token_changed()""",
    """CREATE TRIGGER staff_token_changed AFTER UPDATE OF token_hash, disabled, county, role,
        token_expires_at, token_revoked_at
    ON staff FOR EACH ROW WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
        OR OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.county IS DISTINCT FROM NEW.county
        OR OLD.role IS DISTINCT FROM NEW.role
        OR OLD.token_expires_at IS DISTINCT FROM NEW.token_expires_at
        OR OLD.token_revoked_at IS DISTINCT FROM NEW.token_revoked_at)
    EXECUTE FUNCTION gig_central_token_changed()""",
    """CREATE TRIGGER staff_token_deleted AFTER DELETE ON staff
    FOR EACH ROW EXECUTE FUNCTION gig_central_token_changed()""",
]


def upgrade() -> None:
    op.create_table(
        'periodic_runs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('runner', sa.String(length=128), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('name', 'period_start'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        for statement in TOKEN_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('stations', 'staff'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_token_changed ON {table}')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_token_deleted ON {table}')
        op.execute('DROP FUNCTION IF EXISTS gig_central_token_changed()')
    op.drop_table('periodic_runs')
