"""The series share in one helper, and a moved occurrence of a recurring visit keeps to it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

`visit_series_share_check` (booking/sql/) is the share check that `book_series_visits` held inline: no capacity
cell may have more staff units held by recurring-visit bookings than the department's share of its capacity.
`book_series_visits` now calls it, and so does `move_visit` when the booking it moves belongs to a series: before
this, moving an occurrence could put the series over their share at the new time. The statements below are the
source files as they were at this revision; the downgrade restores 0020's `book_series_visits` and 0013's
`move_visit`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.earlier import earlier

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_SERIES_SHARE_CHECK = """
CREATE FUNCTION public.visit_series_share_check(
    p_municipality uuid, p_department uuid, p_share integer, p_reach integer, p_span_start timestamptz,
    p_span_end timestamptz
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_over boolean;
BEGIN
    SELECT coalesce(bool_or(h.units * 100 > p_share * c.capacity), false) INTO v_over
      FROM capacity_cell c
      CROSS JOIN LATERAL (
          SELECT coalesce(sum(s.staff_units), 0) AS units FROM booking s
           WHERE s.municipality_id = p_municipality AND s.department_id = p_department
             AND s.series_id IS NOT NULL AND s.status = 'booked'
             AND s.starts_at > c.starts_at - make_interval(mins => p_reach)
             AND s.starts_at < c.ends_at + make_interval(mins => p_reach)
             AND s.span_start < c.ends_at AND s.span_end > c.starts_at
      ) AS h
     WHERE c.municipality_id = p_municipality AND c.department_id = p_department
       AND c.starts_at > p_span_start - interval '1 hour' AND c.starts_at < p_span_end
       AND c.ends_at > p_span_start;
    IF v_over THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'series_share_full', DETAIL = '{}';
    END IF;
END
$$
"""

BOOK_SERIES_VISITS = """
CREATE FUNCTION public.book_series_visits(
    p_municipality uuid, p_department uuid, p_share integer, p_reach integer, p_visits jsonb
) RETURNS TABLE (visit_id uuid, booking_id uuid, refusal text)
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    v jsonb;
    v_id uuid;
    v_booked uuid;
BEGIN
    FOR v IN SELECT value FROM jsonb_array_elements(p_visits) LOOP
        v_id := (v->>'id')::uuid;
        BEGIN
            SELECT b.id INTO v_booked
              FROM book_visit(v_id, p_municipality, (v->>'recipient')::uuid, p_department, (v->>'service')::uuid,
                              (v->>'allocation')::uuid, (v->>'period_start')::date, (v->>'period_end')::date,
                              (v->>'granted')::integer, (v->>'starts')::timestamptz, (v->>'ends')::timestamptz,
                              (v->>'span_start')::timestamptz, (v->>'span_end')::timestamptz,
                              (v->>'minutes')::integer, (v->>'units')::integer, (v->>'cells')::integer,
                              v->>'acted_by', (v->>'actor')::uuid, NULL, v->>'key', 'series') AS b;
            IF v_booked = v_id THEN  -- booked now, not found under its key from an earlier run
                UPDATE booking SET series_id = (v->>'series')::uuid
                 WHERE municipality_id = p_municipality AND id = v_id;
                PERFORM visit_series_share_check(p_municipality, p_department, p_share, p_reach,
                                                 (v->>'span_start')::timestamptz, (v->>'span_end')::timestamptz);
                INSERT INTO booking_event (municipality_id, booking_id, kind, details)
                VALUES (p_municipality, v_id, 'created', '{}');
                IF v->>'actor' IS NOT NULL THEN
                    INSERT INTO audit_entry (municipality_id, actor_person_id, subject_person_id, action, object_type,
                                             object_id, outcome)
                    VALUES (p_municipality, (v->>'actor')::uuid, (v->>'recipient')::uuid, 'booking.create', 'booking',
                            CAST(v_id AS text), 'ok');
                END IF;
            END IF;
            visit_id := v_id; booking_id := v_booked; refusal := NULL;
        EXCEPTION WHEN SQLSTATE 'TJ409' OR lock_not_available OR deadlock_detected THEN
            visit_id := v_id; booking_id := NULL;
            refusal := CASE WHEN SQLSTATE = 'TJ409' THEN SQLERRM ELSE 'busy' END;
        END;
        RETURN NEXT;
    END LOOP;
END
$$
"""

MOVE_VISIT = """
CREATE FUNCTION public.move_visit(
    p_booking uuid, p_municipality uuid, p_allocation uuid, p_period_start date, p_period_end date, p_granted integer,
    p_starts timestamptz, p_ends timestamptz, p_span_start timestamptz, p_span_end timestamptz,
    p_minutes integer, p_units integer, p_cells integer, p_now timestamptz,
    p_actor_person uuid, p_actor_token uuid, p_ip text, p_user_agent text, p_request_id text
) RETURNS SETOF booking
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    b booking;
    v_charged boolean;
    v_back integer;
    v_staff uuid;
    v_constraint text;
    v_details jsonb;
    v_share integer;
    v_reach integer;
BEGIN
    SELECT * INTO STRICT b FROM booking WHERE id = p_booking AND municipality_id = p_municipality;
    IF b.status <> 'booked' THEN
        RAISE EXCEPTION 'move_visit: booking % is %, not booked (lock it and check first)', b.id, b.status;
    END IF;
    v_back := CASE WHEN b.minutes_returned THEN 0 ELSE b.minutes END;

    -- Without locks: the recipient's other visits.
    PERFORM visit_refuse_overlap(b.municipality_id, b.recipient_id, p_starts, p_ends, b.id);

    -- Locked, the allocation periods first.
    IF b.allocation_id = p_allocation AND b.period_start = p_period_start THEN
        UPDATE allocation_period a SET used = a.used - v_back + p_minutes
         WHERE a.municipality_id = b.municipality_id AND a.allocation_id = p_allocation
           AND a.period_start = p_period_start AND a.used - v_back + p_minutes <= a.granted
        RETURNING true INTO v_charged;
        IF v_charged IS NULL THEN
            PERFORM visit_refuse_used_up(b.municipality_id, p_allocation, p_period_start, p_granted, v_back);
        END IF;
    ELSE
        PERFORM 1 FROM allocation_period a
         WHERE a.municipality_id = b.municipality_id
           AND ((a.allocation_id = b.allocation_id AND a.period_start = b.period_start)
                OR (a.allocation_id = p_allocation AND a.period_start = p_period_start))
         ORDER BY a.allocation_id, a.period_start FOR UPDATE;
        PERFORM visit_give_back(b.municipality_id, b.allocation_id, b.period_start, v_back);
        IF NOT visit_charge(b.municipality_id, p_allocation, p_period_start, p_period_end, p_granted, p_minutes) THEN
            PERFORM visit_refuse_used_up(b.municipality_id, p_allocation, p_period_start, p_granted, 0);
        END IF;
    END IF;

    -- Then the cells of both spans, locked in id order: the old given back, the new checked and charged.
    PERFORM visit_cells_lock(b.municipality_id, b.department_id, b.span_start, b.span_end, p_span_start, p_span_end);
    PERFORM visit_cells_take(b.municipality_id, b.department_id, b.span_start, b.span_end, -b.staff_units);
    PERFORM visit_cells_check(b.municipality_id, b.department_id, p_span_start, p_span_end, p_units, p_cells, false);
    PERFORM visit_cells_take(b.municipality_id, b.department_id, p_span_start, p_span_end, p_units);

    -- The booking. Its staff member stays if free then; the exclusion constraints are the last guards.
    v_staff := b.assigned_staff_id;
    IF v_staff IS NOT NULL AND EXISTS (
        SELECT 1 FROM booking o
         WHERE o.municipality_id = b.municipality_id AND o.assigned_staff_id = v_staff AND o.id <> b.id
           AND o.status = 'booked' AND o.span_start < p_span_end AND o.span_end > p_span_start) THEN
        v_staff := NULL;
    END IF;
    LOOP
        BEGIN
            UPDATE booking SET allocation_id = p_allocation, period_start = p_period_start, starts_at = p_starts,
                               ends_at = p_ends, span_start = p_span_start, span_end = p_span_end,
                               minutes = p_minutes, staff_units = p_units, minutes_returned = false,
                               assigned_staff_id = v_staff, changed_at = p_now, sequence = sequence + 1
             WHERE id = b.id;
            EXIT;
        EXCEPTION WHEN exclusion_violation THEN
            GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
            IF v_constraint = 'no_overlap_per_staff' AND v_staff IS NOT NULL THEN
                v_staff := NULL;  -- assigned elsewhere meanwhile: let go, as above
            ELSE
                PERFORM visit_refuse_overlap(b.municipality_id, b.recipient_id, p_starts, p_ends, b.id);
                RAISE;
            END IF;
        END;
    END LOOP;

    IF b.series_id IS NOT NULL THEN  -- after the update, so that the visit counts at its new time only
        SELECT d.series_share_percent,
               coalesce(max((SELECT max(x) FROM unnest(s.durations) AS x) + s.buffer_before + s.buffer_after), 0)
          INTO v_share, v_reach
          FROM department d
          LEFT JOIN service s ON s.municipality_id = d.municipality_id AND s.department_id = d.id
         WHERE d.municipality_id = b.municipality_id AND d.id = b.department_id
         GROUP BY d.series_share_percent;
        PERFORM visit_series_share_check(b.municipality_id, b.department_id, v_share, v_reach, p_span_start,
                                         p_span_end);
    END IF;

    v_details := jsonb_build_object('previous_start',
                                    to_char(b.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00');
    IF b.assigned_staff_id IS NOT NULL AND v_staff IS NULL THEN
        v_details := v_details || jsonb_build_object('previous_staff_id', CAST(b.assigned_staff_id AS text));
    END IF;
    INSERT INTO booking_event (municipality_id, booking_id, kind, details)
    VALUES (b.municipality_id, b.id, 'moved', v_details);
    INSERT INTO audit_entry (municipality_id, actor_person_id, actor_token_id, subject_person_id, action, object_type,
                             object_id, outcome, ip, user_agent, request_id)
    VALUES (b.municipality_id, p_actor_person, p_actor_token, b.recipient_id, 'booking.move', 'booking',
            CAST(b.id AS text), 'ok', p_ip, p_user_agent, p_request_id);
    RETURN QUERY SELECT * FROM booking WHERE id = b.id;
END
$$
"""

HELPER_SIGNATURE = "visit_series_share_check(uuid, uuid, integer, integer, timestamptz, timestamptz)"


def _or_replace(statement: str) -> str:
    return statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(VISIT_SERIES_SHARE_CHECK)
    op.execute(_or_replace(BOOK_SERIES_VISITS))
    op.execute(_or_replace(MOVE_VISIT))


def downgrade() -> None:
    series, moves = earlier("0020_booking_series.py"), earlier("0013_booking_functions_from_source.py")
    op.execute(_or_replace(series.BOOK_SERIES_VISITS))
    op.execute(_or_replace(moves.MOVE_VISIT))
    op.execute(f"DROP FUNCTION {HELPER_SIGNATURE}")
