"""communes: INSEE name type (TNCC), for "Mairie des Laubies" and "au Malzieu-Ville"

Revision ID: c0a1e5d7b3f2
Revises: a292ce18a9d0
Create Date: 2026-12-02 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a1e5d7b3f2'
down_revision = 'a292ce18a9d0'
branch_labels = None
depends_on = None

# Rows imported before the column existed: the type read off the stored full name (the
# article it starts with; else a vowel means "d'"). Importing the communes again stores
# the INSEE's own type (it also knows the mute "h").
_GUESS = """
UPDATE communes SET name_type = CASE
    WHEN name LIKE 'Le %' THEN 2
    WHEN name LIKE 'La %' THEN 3
    WHEN name LIKE 'Les %' THEN 4
    WHEN name LIKE 'L''%' THEN 5
    WHEN name LIKE 'Aux %' THEN 6
    WHEN name LIKE 'Las %' THEN 7
    WHEN name LIKE 'Los %' THEN 8
    WHEN substr(name, 1, 1) IN ('A', 'E', 'I', 'O', 'U', 'Y', 'É', 'È', 'Ê', 'Î', 'Ô', 'Â') THEN 1
    ELSE 0 END
"""


def upgrade():
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_type', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_communes_name_type_range'), 'name_type BETWEEN 0 AND 8')
    op.execute(_GUESS)


def downgrade():
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_communes_name_type_range'), type_='check')
        batch_op.drop_column('name_type')
