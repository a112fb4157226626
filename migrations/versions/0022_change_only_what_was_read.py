"""A booking is checked unlocked and changed only if it has not changed since: cancel and move on the driver.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

`cancel_visit` and `move_visit` (booking/sql/) take the booking's `sequence` as the caller read it, lock the booking
first and do nothing (no row returned) when it has changed since. The API's cancel and move (`booking.driver`) read
the booking and decide without a lock or a transaction, then call the function once: one statement, whole by
itself; a booking changed meanwhile is read again and decided anew. The statements below are the source files as
they were at this revision; the downgrade restores 0013's `cancel_visit` and 0021's `move_visit`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.earlier import earlier

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CANCEL = "public.cancel_visit(uuid, uuid, text, boolean, timestamptz, uuid, uuid, text, text, text)"
OLD_MOVE = (
    "public.move_visit(uuid, uuid, uuid, date, date, integer, timestamptz, timestampt"
    "z, timestamptz, timestamptz, integer, integer, integer, timestamptz, uuid, uuid, text, text, text)"
)
NEW_CANCEL = "public.cancel_visit(uuid, uuid, text, boolean, timestamptz, uuid, uuid, text, text, text, integer)"
NEW_MOVE = (
    "public.move_visit(uuid, uuid, uuid, date, date, integer, timestamptz, timestampt"
    "z, timestamptz, timestamptz, integer, integer, integer, timestamptz, uuid, uuid, text, text, text, integer)"
)

CANCEL_VISIT = """
CREATE FUNCTION public.cancel_visit(
    p_booking uuid, p_municipality uuid, p_status text, p_minutes_back boolean, p_now timestamptz,
    p_actor_person uuid, p_actor_token uuid, p_ip text, p_user_agent text, p_request_id text, p_sequence integer
) RETURNS SETOF booking
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    b booking;
BEGIN
    SELECT * INTO STRICT b FROM booking WHERE id = p_booking AND municipality_id = p_municipality FOR UPDATE;
    IF b.sequence IS DISTINCT FROM p_sequence THEN
        RETURN;
    END IF;
    IF b.status <> 'booked' THEN
        RAISE EXCEPTION 'cancel_visit: booking % is %, not booked (check it first)', b.id, b.status;
    END IF;
    IF p_minutes_back THEN
        PERFORM visit_give_back(b.municipality_id, b.allocation_id, b.period_start, b.minutes);
    END IF;
    PERFORM visit_cells_lock(b.municipality_id, b.department_id, b.span_start, b.span_end, NULL, NULL);
    PERFORM visit_cells_take(b.municipality_id, b.department_id, b.span_start, b.span_end, -b.staff_units);
    RETURN QUERY
    UPDATE booking SET status = p_status, changed_at = p_now, minutes_returned = minutes_returned OR p_minutes_back,
                       sequence = sequence + 1
     WHERE id = b.id
    RETURNING *;
    INSERT INTO booking_event (municipality_id, booking_id, kind, details)
    VALUES (b.municipality_id, b.id, 'cancelled', '{}');
    INSERT INTO audit_entry (municipality_id, actor_person_id, actor_token_id, subject_person_id, action, object_type,
                             object_id, outcome, ip, user_agent, request_id)
    VALUES (b.municipality_id, p_actor_person, p_actor_token, b.recipient_id, 'booking.' || p_status, 'booking',
            CAST(b.id AS text), 'ok', p_ip, p_user_agent, p_request_id);
END
$$
"""

MOVE_VISIT = """
CREATE FUNCTION public.move_visit(
    p_booking uuid, p_municipality uuid, p_allocation uuid, p_period_start date, p_period_end date, p_granted integer,
    p_starts timestamptz, p_ends timestamptz, p_span_start timestamptz, p_span_end timestamptz,
    p_minutes integer, p_units integer, p_cells integer, p_now timestamptz,
    p_actor_person uuid, p_actor_token uuid, p_ip text, p_user_agent text, p_request_id text, p_sequence integer
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
    SELECT * INTO STRICT b FROM booking WHERE id = p_booking AND municipality_id = p_municipality FOR UPDATE;
    IF b.sequence IS DISTINCT FROM p_sequence THEN
        RETURN;
    END IF;
    IF b.status <> 'booked' THEN
        RAISE EXCEPTION 'move_visit: booking % is %, not booked (check it first)', b.id, b.status;
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


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {OLD_CANCEL}")
    op.execute(f"DROP FUNCTION {OLD_MOVE}")
    op.execute(CANCEL_VISIT)
    op.execute(MOVE_VISIT)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {NEW_CANCEL}")
    op.execute(f"DROP FUNCTION {NEW_MOVE}")
    op.execute(earlier("0013_booking_functions_from_source.py").CANCEL_VISIT)
    op.execute(earlier("0021_series_share_check.py").MOVE_VISIT)
