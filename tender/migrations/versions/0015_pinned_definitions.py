"""A running procurement keeps the definition it started with.

``pinned_definition`` holds the exact text of each procedure file a
procurement started with, keyed by its SHA-256; ``procurement.definition_digest``
names the one it runs. Procurements already running are pinned here to the
procedure file as it stands at upgrade, where its ``version`` is the one they
recorded (the file then is the best copy there is); any other stays unpinned
and follows the current file until ``tender workflow migrate`` pins it.

Revision ID: 0015_pinned_definitions
Revises: 0014_act_path
"""
import hashlib
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0015_pinned_definitions"
down_revision = "0014_act_path"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pinned_definition",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("procedure", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_pinned_definition")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("procurement", sa.Column("definition_digest", sa.String(length=64), nullable=True))
        op.create_foreign_key(op.f("fk_procurement_definition_digest_pinned_definition"), "procurement",
                              "pinned_definition", ["definition_digest"], ["digest"])
    else:  # a plain ADD COLUMN (no batch rebuild, which would drop the table's triggers and CHECKs) with its reference
        op.execute("ALTER TABLE procurement ADD COLUMN definition_digest VARCHAR(64) "
                   "CONSTRAINT fk_procurement_definition_digest_pinned_definition "
                   "REFERENCES pinned_definition (digest)")
    _pin_running_procurements()


def _workflows_dir() -> Path:
    """The directory the application reads procedure files from (as ``tender.services.procurement.procedures``)."""
    from flask import current_app, has_app_context

    from tender.resources import data_dir

    configured = current_app.config.get("TENDER_WORKFLOWS_DIR") if has_app_context() else None
    return Path(configured) if configured else data_dir("workflows")


def _pin_running_procurements() -> None:
    conn = op.get_bind()
    procurement = sa.table("procurement", sa.column("procedure", sa.String), sa.column("procedure_version", sa.Integer),
                           sa.column("definition_digest", sa.String))
    pinned = sa.table("pinned_definition", sa.column("digest", sa.String), sa.column("procedure", sa.String),
                      sa.column("version", sa.Integer), sa.column("text", sa.Text),
                      sa.column("stored_at", sa.DateTime(timezone=True)))
    directory = _workflows_dir()
    for name in conn.execute(sa.select(procurement.c.procedure).distinct()).scalars():
        path = directory / f"{name}.yaml"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            version = yaml.safe_load(text).get("version")
        except (yaml.YAMLError, AttributeError):
            continue
        if not isinstance(version, int) or isinstance(version, bool):
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute(pinned.insert().values(digest=digest, procedure=name, version=version, text=text,
                                            stored_at=sa.func.current_timestamp()))
        conn.execute(procurement.update().where(procurement.c.procedure == name,
                                                procurement.c.procedure_version == version)
                     .values(definition_digest=digest))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_procurement_definition_digest_pinned_definition"), "procurement",
                           type_="foreignkey")
        op.drop_column("procurement", "definition_digest")
    else:  # SQLite 3.35+ drops a column in place (no rebuild) unless it is in an index or constraint of the table
        op.execute("ALTER TABLE procurement DROP COLUMN definition_digest")
    op.drop_table("pinned_definition")
