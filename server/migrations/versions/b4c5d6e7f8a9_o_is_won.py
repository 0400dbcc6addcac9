"""O is won: mend opportunities left at stage O without being won

Revision ID: b4c5d6e7f8a9
Revises: b0c1d2e3f4a5
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b4c5d6e7f8a9'
down_revision = 'b0c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    # The server used to take a move to O without the win (the phone always sent both), so the funnel's O
    # and the won count disagreed. A deal at O still open is won from the moment it reached O; one lost at O
    # goes back to the stage it left for O (C when the history does not say). Each mend is logged in the
    # stage history at the instant it stands for, takes a new version and a change row, so phones learn it.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, status, stage_changed_at, owner_id, version FROM opportunities "
        "WHERE stage = 'O' AND status <> 'won'"
    )).all()
    if not rows:
        return
    counter = conn.execute(sa.text("SELECT counter FROM sync_state WHERE id = 1")).scalar()
    changes = []
    for opp_id, status, at, owner_id, version in rows:
        if status == 'open':
            conn.execute(
                sa.text("UPDATE opportunities SET status = 'won', closed_at = :at, version = version + 1 WHERE id = :id"),
                {"id": opp_id, "at": at},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO stage_changes (opportunity_id, from_stage, to_stage, status, changed_at) "
                    "VALUES (:id, 'O', 'O', 'won', :at)"
                ),
                {"id": opp_id, "at": at},
            )
            fields = '["status", "closed_at"]'
        else:
            before = conn.execute(
                sa.text(
                    "SELECT from_stage FROM stage_changes WHERE opportunity_id = :id AND to_stage = 'O' "
                    "AND from_stage IS NOT NULL AND from_stage <> 'O' ORDER BY changed_at DESC, id DESC"
                ),
                {"id": opp_id},
            ).first()
            stage = before[0] if before is not None else 'C'
            conn.execute(
                sa.text("UPDATE opportunities SET stage = :stage, version = version + 1 WHERE id = :id"),
                {"id": opp_id, "stage": stage},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO stage_changes (opportunity_id, from_stage, to_stage, status, changed_at) "
                    "VALUES (:id, 'O', :stage, 'lost', :at)"
                ),
                {"id": opp_id, "stage": stage, "at": at},
            )
            fields = '["stage"]'
        if counter is not None:
            counter += 1
            changes.append(
                {"seq": counter, "id": opp_id, "version": version + 1, "owner": owner_id, "fields": fields}
            )
    if changes:
        fields = "CAST(:fields AS JSON)" if conn.dialect.name == "postgresql" else ":fields"
        conn.execute(sa.text("UPDATE sync_state SET counter = :c WHERE id = 1"), {"c": counter})
        conn.execute(
            sa.text(
                "INSERT INTO changes (seq, entity, entity_id, op, version, owner_id, fields, at) "
                f"VALUES (:seq, 'opportunity', :id, 'upsert', :version, :owner, {fields}, CURRENT_TIMESTAMP)"
            ),
            changes,
        )


def downgrade():
    pass  # which deals were mended is not kept: nothing to put back
