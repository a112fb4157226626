"""`book_own_visit` checks the facts, the recipient and their decision in one query, and leaves retries to `book_visit`.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

The function's checks were four queries (the earlier request's booking, the facts, the recipient, the decision);
they are one now, and a retry is answered by `book_visit`, which finds the earlier request's booking whenever it
refuses or the key's unique index does. The statement below is the source file as it was at this revision; the
downgrade restores 0024's.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.earlier import earlier

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOK_OWN_VISIT = """
CREATE OR REPLACE FUNCTION public.book_own_visit(
    p_id uuid, p_municipality uuid, p_recipient uuid, p_service uuid, p_department uuid,
    p_starts timestamptz, p_ends timestamptz, p_span_start timestamptz, p_span_end timestamptz, p_minutes integer,
    p_key text, p_scope text,
    p_durations integer[], p_buffer_before integer, p_buffer_after integer, p_units integer, p_cells integer,
    p_timezone text, p_grid integer, p_horizon integer, p_notice integer
) RETURNS SETOF booking
LANGUAGE plpgsql
AS $$
DECLARE
    v_day date;
    v_allocation uuid;
    v_granted integer;
    v_period_start date;
    v_period_end date;
BEGIN
    -- One query for all of it: each check a query of its own cost PostgreSQL more than the checks themselves.
    v_day := CAST(timezone(p_timezone, p_starts) AS date);
    SELECT v.id, v.minutes, p.period_start, p.period_end
      INTO v_allocation, v_granted, v_period_start, v_period_end
      FROM service s
      JOIN department d ON d.id = s.department_id
      JOIN person r ON r.id = p_recipient AND r.municipality_id = p_municipality
     CROSS JOIN LATERAL (SELECT v2.id, v2.minutes, v2.period, v2.period_anchor FROM allocation v2
                          WHERE v2.recipient_id = p_recipient AND v2.service_id = s.id
                            AND v2.municipality_id = p_municipality AND v2.valid_from <= v_day
                            AND (v2.valid_to IS NULL OR v2.valid_to >= v_day)
                          ORDER BY v2.valid_from DESC, v2.id DESC LIMIT 1) AS v
     CROSS JOIN LATERAL visit_period(v.period, v.period_anchor, v_day) AS p
     WHERE s.id = p_service AND s.municipality_id = p_municipality AND s.active AND s.department_id = p_department
       AND s.durations = p_durations AND s.buffer_before = p_buffer_before AND s.buffer_after = p_buffer_after
       AND s.staff_units = p_units AND d.timezone = p_timezone AND d.grid_minutes = p_grid
       AND d.horizon_days = p_horizon AND d.notice_hours = p_notice;
    IF v_period_start IS NULL THEN
        RETURN;
    END IF;
    -- An earlier request's booking with the same key is found by `book_visit` (its key is unique): it is the answer.
    RETURN QUERY SELECT * FROM book_visit(
        p_id, p_municipality, p_recipient, p_department, p_service, v_allocation, v_period_start, v_period_end,
        v_granted, p_starts, p_ends, p_span_start, p_span_end, p_minutes, p_units, p_cells, 'recipient',
        p_recipient, NULL, p_key, p_scope);
END
$$
"""


def upgrade() -> None:
    op.execute(BOOK_OWN_VISIT)


def downgrade() -> None:
    previous = earlier("0024_book_own_visit.py").BOOK_OWN_VISIT
    op.execute(previous.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
