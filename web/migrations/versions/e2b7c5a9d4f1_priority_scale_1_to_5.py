"""Priorities on the 1-5 scale everywhere: stored ones clamped, the CHECK tightened

Revision ID: e2b7c5a9d4f1
Revises: c4e1a9b7d2f3
Create Date: 2026-12-03 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e2b7c5a9d4f1'
down_revision = 'c4e1a9b7d2f3'
branch_labels = None
depends_on = None

PRIORITY_MIN, PRIORITY_MAX = 1, 5
# An activity's priority is the default of the requests that name it: both tables
# hold the same scale.
TABLES = ('visit_requests', 'activities')

# The old forms took 1 to 100 and the coverage bonus raised up to 100: anything above the
# top of the scale is "essential". The request's history says so, for the operator who
# remembers another number.
_NOTE_CLAMPED = f"""
INSERT INTO request_status_changes (request_id, from_status, to_status, "by", at, note)
SELECT id, status, status, 'tourplan', CURRENT_TIMESTAMP,
       'Priorité ' || CAST(priority AS VARCHAR(20)) || ' → {PRIORITY_MAX} : la priorité va désormais de '
       || '{PRIORITY_MIN} (souhaitable) à {PRIORITY_MAX} (essentielle)'
FROM visit_requests WHERE priority > {PRIORITY_MAX}
"""


def upgrade():
    op.execute(_NOTE_CLAMPED)
    for table in TABLES:
        op.execute(f"UPDATE {table} SET priority = {PRIORITY_MAX} WHERE priority > {PRIORITY_MAX}")
        op.execute(f"UPDATE {table} SET priority = {PRIORITY_MIN} WHERE priority < {PRIORITY_MIN}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_priority_positive'), type_='check')
            batch_op.create_check_constraint(
                batch_op.f(f'ck_{table}_priority_range'), f'priority BETWEEN {PRIORITY_MIN} AND {PRIORITY_MAX}'
            )


def downgrade():
    # The clamped priorities stay at 5, which the old check allows: their old numbers are
    # not kept anywhere but in the history note.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_priority_range'), type_='check')
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_priority_positive'), 'priority >= 1')
