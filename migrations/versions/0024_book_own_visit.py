"""A recipient's own booking in one statement: the functions `book_own_visit` and `visit_period`.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

`book_own_visit` (booking/sql/book_own_visit.sql) takes a visit planned from the service's and department's facts
the API keeps, checks those facts, the recipient and their decision in the same statement, and books it with
`book_visit`; `visit_period` (booking/sql/visit_period.sql) is `booking.rules.period_of` in SQL. The statements
below are the source files as they were at this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_PERIOD = """
CREATE FUNCTION public.visit_period(p_kind text, p_anchor date, p_day date)
RETURNS TABLE (period_start date, period_end date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT s, s + CASE p_kind WHEN 'month' THEN CAST(s + interval '1 month' AS date) - s - 1
                          WHEN 'week' THEN 6 ELSE 27 END
  FROM (SELECT CASE
                   WHEN p_kind = 'week' THEN p_day - (CAST(extract(isodow FROM p_day) AS integer) - 1)
                   WHEN p_kind = 'month' THEN CAST(date_trunc('month', p_day) AS date)
                   WHEN p_kind = 'four_weeks' THEN p_anchor + 28 * CAST(floor((p_day - p_anchor) / 28.0) AS integer)
               END AS s) AS p
$$
"""

BOOK_OWN_VISIT = """
CREATE FUNCTION public.book_own_visit(
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
    RETURN QUERY SELECT * FROM booking b
     WHERE b.municipality_id = p_municipality AND b.idempotency_scope = p_scope AND b.idempotency_key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;
    PERFORM 1 FROM service s JOIN department d ON d.id = s.department_id
     WHERE s.id = p_service AND s.municipality_id = p_municipality AND s.active AND s.department_id = p_department
       AND s.durations = p_durations AND s.buffer_before = p_buffer_before AND s.buffer_after = p_buffer_after
       AND s.staff_units = p_units AND d.timezone = p_timezone AND d.grid_minutes = p_grid
       AND d.horizon_days = p_horizon AND d.notice_hours = p_notice;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM 1 FROM person r WHERE r.id = p_recipient AND r.municipality_id = p_municipality;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_day := CAST(timezone(p_timezone, p_starts) AS date);
    SELECT v.id, v.minutes, p.period_start, p.period_end
      INTO v_allocation, v_granted, v_period_start, v_period_end
      FROM allocation v CROSS JOIN LATERAL visit_period(v.period, v.period_anchor, v_day) AS p
     WHERE v.recipient_id = p_recipient AND v.service_id = p_service AND v.municipality_id = p_municipality
       AND v.valid_from <= v_day AND (v.valid_to IS NULL OR v.valid_to >= v_day)
     ORDER BY v.valid_from DESC, v.id DESC LIMIT 1;
    IF v_period_start IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM book_visit(
        p_id, p_municipality, p_recipient, p_department, p_service, v_allocation, v_period_start, v_period_end,
        v_granted, p_starts, p_ends, p_span_start, p_span_end, p_minutes, p_units, p_cells, 'recipient',
        p_recipient, NULL, p_key, p_scope);
END
$$
"""


def upgrade() -> None:
    op.execute(VISIT_PERIOD)
    op.execute(BOOK_OWN_VISIT)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION public.book_own_visit(uuid, uuid, uuid, uuid, uuid, timestamptz, timestamptz, timestamptz, "
        "timestamptz, integer, text, text, integer[], integer, integer, integer, integer, text, integer, integer, "
        "integer)"
    )
    op.execute("DROP FUNCTION public.visit_period(text, date, date)")
