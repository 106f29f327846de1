"""actors by reference: a ``<column>_ref`` beside every person column; free-text actors matched (issue 18)

Each person column (``domain.actors.ACTOR_COLUMNS``) gets ``<column>_ref``. Existing texts are
matched against the contacts and users (``domain.actors.match``: the address, or the name in any of
its spellings): a match stores the reference and empties the text; a name that matches nobody (or
more than one person) stays as typed, flagged ``unmatched``; ``system`` and the like, and an
organisation's name (objections were recorded so), stay unflagged.

Revision ID: actor_refs
Revises: login_throttle
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from verbund.domain.actors import ACTOR_COLUMNS, UNMATCHED, is_person_text, match

revision: str = "actor_refs"
down_revision: str | None = "login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("auditevent", "contactevent")


def _people(connection: sa.Connection) -> tuple[list[tuple], list[tuple]]:
    contact = sa.table("contact", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
                       sa.column("email", sa.String()), sa.column("organisation_id", sa.Uuid()))
    organisation = sa.table("organisation", sa.column("id", sa.Uuid()), sa.column("name", sa.String()))
    user = sa.table("dashboarduser", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
                    sa.column("name", sa.String()))
    contacts = connection.execute(sa.select(contact.c.id, contact.c.name, contact.c.email, organisation.c.name)
                                  .join(organisation, organisation.c.id == contact.c.organisation_id)
                                  .where(contact.c.name != "[gelöscht]")).all()
    users = connection.execute(sa.select(user.c.id, user.c.email, user.c.name)
                               .where(user.c.name != "[gelöscht]")).all()
    return [tuple(r) for r in contacts], [tuple(r) for r in users]


def upgrade() -> None:
    for table, columns in ACTOR_COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(f"{column}_ref", sa.String(), nullable=True))
            if table in INDEXED:
                op.create_index(f"ix_{table}_{column}_ref", table, [f"{column}_ref"])
    connection = op.get_bind()
    contacts, users = _people(connection)
    organisations = set(connection.execute(sa.text("SELECT name FROM organisation")).scalars().all())
    for table, columns in ACTOR_COLUMNS.items():
        for column in columns:
            rows = sa.table(table, sa.column(column, sa.String()), sa.column(f"{column}_ref", sa.String()))
            texts = connection.execute(sa.select(rows.c[column]).where(rows.c[column].is_not(None))
                                       .distinct()).scalars().all()
            for text in texts:
                found = match(text, contacts, users) if is_person_text(text) else None
                if not found and (not is_person_text(text) or " ".join(text.split()) in organisations):
                    continue  # no person: an organisation acting, system, import
                values = {column: "", f"{column}_ref": found} if found else {f"{column}_ref": UNMATCHED}
                connection.execute(sa.update(rows).where(rows.c[column] == text).values(**values))


def downgrade() -> None:
    """The references' names are written back into the text columns, then the columns dropped."""
    connection = op.get_bind()
    contacts, users = _people(connection)
    names = {f"contact:{cid}": name for cid, name, _e, _o in contacts} | {f"user:{uid}": email
                                                                         for uid, email, _n in users}
    for table, columns in ACTOR_COLUMNS.items():
        for column in columns:
            rows = sa.table(table, sa.column(column, sa.String()), sa.column(f"{column}_ref", sa.String()))
            for found in connection.execute(sa.select(rows.c[f"{column}_ref"]).distinct()).scalars().all():
                if found and found in names:
                    connection.execute(sa.update(rows).where(rows.c[f"{column}_ref"] == found)
                                       .values(**{column: names[found]}))
            if table in INDEXED:
                op.drop_index(f"ix_{table}_{column}_ref", table_name=table)
            with op.batch_alter_table(table) as batch:
                batch.drop_column(f"{column}_ref")
