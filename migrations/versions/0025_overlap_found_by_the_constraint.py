"""A booking looks for the recipient's own overlapping visit only when something refuses it.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

`book_visit` (booking/sql/book_visit.sql) no longer searches the recipient's visits before it takes its locks: the
exclusion constraint `no_overlap_per_recipient` keeps them apart at the insert, and when anything refuses the booking
(the constraint, the cells, the allocation) an overlapping visit of the recipient's is looked for and, if found, is
the reason given with its start (`visit_refuse_overlap`), as before. The statement below is the source file as it was at
this revision; the downgrade restores 0013's.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.earlier import earlier

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOK_VISIT = """
CREATE OR REPLACE FUNCTION public.book_visit(
    p_id uuid, p_municipality uuid, p_recipient uuid, p_department uuid, p_service uuid, p_allocation uuid,
    p_period_start date, p_period_end date, p_granted integer,
    p_starts timestamptz, p_ends timestamptz, p_span_start timestamptz, p_span_end timestamptz,
    p_minutes integer, p_units integer, p_cells integer,
    p_acted_by text, p_actor_person uuid, p_actor_token uuid, p_key text, p_scope text
) RETURNS SETOF booking
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
BEGIN
    BEGIN
        -- Without locks: the cells' room.
        PERFORM visit_cells_check(p_municipality, p_department, p_span_start, p_span_end, p_units, p_cells, false);

        -- Locked, the allocation period first: charged in one upsert, never past what is granted.
        IF NOT visit_charge(p_municipality, p_allocation, p_period_start, p_period_end, p_granted, p_minutes) THEN
            PERFORM visit_refuse_used_up(p_municipality, p_allocation, p_period_start, p_granted, 0);
        END IF;

        -- Then the span's cells, locked in id order and checked again now that no one else can change them.
        PERFORM visit_cells_check(p_municipality, p_department, p_span_start, p_span_end, p_units, p_cells, true);
        PERFORM visit_cells_take(p_municipality, p_department, p_span_start, p_span_end, p_units);

        -- The exclusion constraint is the last guard against the recipient's overlapping visits.
        RETURN QUERY
        INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id,
                             period_start, starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by,
                             actor_person_id, actor_token_id, idempotency_key, idempotency_scope)
        VALUES (p_id, p_municipality, p_recipient, p_department, p_service, p_allocation, p_period_start, p_starts,
                p_ends, p_span_start, p_span_end, p_minutes, p_units, p_acted_by, p_actor_person, p_actor_token,
                p_key, p_scope)
        RETURNING *;
    EXCEPTION WHEN unique_violation OR exclusion_violation OR SQLSTATE 'TJ409' THEN
        -- The same Idempotency-Key may have won a moment ago (two sent at once): its booking is the answer.
        RETURN QUERY SELECT * FROM booking b
         WHERE b.municipality_id = p_municipality AND b.idempotency_scope = p_scope AND b.idempotency_key = p_key;
        IF FOUND THEN
            RETURN;
        END IF;
        IF SQLSTATE IN ('23P01', 'TJ409') THEN  -- the recipient's own visit, if one overlaps, is the reason to give
            PERFORM visit_refuse_overlap(p_municipality, p_recipient, p_starts, p_ends, NULL);
        END IF;
        RAISE;
    END;
END
$$
"""


def upgrade() -> None:
    op.execute(BOOK_VISIT)


def downgrade() -> None:
    op.execute(
        earlier("0013_booking_functions_from_source.py").BOOK_VISIT.replace(
            "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
        )
    )
