"""inbound calls counted per UTC hour, source and outcome (filled from the stored calls)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 17:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OUTCOMES = ("answered", "missed", "voicemail", "abandoned", "busy", "failed")


def upgrade() -> None:
    op.create_table(
        'call_hours',
        sa.Column('hour', sa.String(length=13), nullable=False),
        sa.Column('source', sa.String(length=80), nullable=False),
        *[sa.Column(o, sa.Integer(), nullable=False) for o in OUTCOMES],
        sa.PrimaryKeyConstraint('hour', 'source', name=op.f('pk_call_hours')),
        sqlite_with_rowid=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    hour = ("substr(started_at, 1, 13)" if sqlite
            else "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')")
    counts = ", ".join(f"sum(CASE WHEN outcome = '{o}' THEN 1 ELSE 0 END)" for o in OUTCOMES)
    op.execute(f"""
        INSERT INTO call_hours (hour, source, {", ".join(OUTCOMES)})
        SELECT {hour}, coalesce(source, ''), {counts}
        FROM calls WHERE direction = 'inbound'
        GROUP BY {hour}, coalesce(source, '')""")


def downgrade() -> None:
    op.drop_table('call_hours')
