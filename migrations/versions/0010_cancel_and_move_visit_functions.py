"""A cancellation's and a move's locked part in one round trip each: the functions `cancel_visit` and `move_visit`.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

`booking.service.cancel` locks the booking, checks access, its status and start, and decides in Python
whether the cancellation is late and whether the minutes come back (the department's policy). Then it
calls this function once, which does in DESIGN.md's lock order (the booking is already locked): the
allocation period gives the minutes back (when it should), the span's cells are locked in id order and
given their staff units back, the booking takes its new status, and the outbox event `cancelled` and the
audit entry `booking.<status>` are inserted. `lock_timeout` is set for the function only. Before, these
were seven round trips.

`booking.service.move` locks the booking, checks access, its status and start, and checks the new time
against everything that needs no lock (the pure rules, the decision) in Python. `move_visit` then does the
rest like `book_visit` (migration 0008), refusing with SQLSTATE TJ409 in the same way: the recipient's
other visits; the allocation periods (one update when old and new share a period; else both locked in
order, the old given back and the new charged under its guard); the cells of both spans locked in id
order, the old given back, the new checked and charged; then the booking. An assigned staff member who is
busy at the new time is let go (the department assigns someone else) and named in the outbox event's
`previous_staff_id`, so their calendar feed drops the visit; before, that move failed at the commit.
A refusal leaves the transaction to be rolled back, so the old time stands.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CANCEL_VISIT = """
CREATE FUNCTION cancel_visit(
    p_booking uuid, p_municipality uuid, p_status text, p_minutes_back boolean, p_now timestamptz,
    p_actor_person uuid, p_actor_token uuid, p_ip text, p_user_agent text, p_request_id text
) RETURNS SETOF booking
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    b booking;
BEGIN
    SELECT * INTO STRICT b FROM booking WHERE id = p_booking AND municipality_id = p_municipality;
    IF b.status <> 'booked' THEN
        RAISE EXCEPTION 'cancel_visit: booking % is %, not booked (lock it and check first)', b.id, b.status;
    END IF;
    IF p_minutes_back THEN
        UPDATE allocation_period a SET used = a.used - b.minutes
         WHERE a.allocation_id = b.allocation_id AND a.period_start = b.period_start;
    END IF;
    PERFORM 1 FROM capacity_cell c
     WHERE c.department_id = b.department_id AND c.starts_at < b.span_end AND c.ends_at > b.span_start
     ORDER BY c.id FOR UPDATE;
    UPDATE capacity_cell c SET used = c.used - b.staff_units
     WHERE c.department_id = b.department_id AND c.starts_at < b.span_end AND c.ends_at > b.span_start;
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
CREATE FUNCTION move_visit(
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
    v_clash timestamptz;
    v_cells integer;
    v_closed boolean;
    v_full boolean;
    v_charged boolean;
    v_back integer;
    v_staff uuid;
    v_constraint text;
    v_details jsonb;
BEGIN
    SELECT * INTO STRICT b FROM booking WHERE id = p_booking AND municipality_id = p_municipality;
    IF b.status <> 'booked' THEN
        RAISE EXCEPTION 'move_visit: booking % is %, not booked (lock it and check first)', b.id, b.status;
    END IF;
    v_back := CASE WHEN b.minutes_returned THEN 0 ELSE b.minutes END;

    -- Without locks: the recipient's other visits.
    SELECT o.starts_at INTO v_clash FROM booking o
     WHERE o.municipality_id = b.municipality_id AND o.recipient_id = b.recipient_id AND o.id <> b.id
       AND o.status IN ('booked', 'delivered', 'no_show') AND o.starts_at < p_ends AND o.ends_at > p_starts
     ORDER BY o.starts_at LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
            DETAIL = jsonb_build_object('starts_at', v_clash)::text;
    END IF;

    -- Locked, the allocation periods first.
    IF b.allocation_id = p_allocation AND b.period_start = p_period_start THEN
        UPDATE allocation_period a SET used = a.used - v_back + p_minutes
         WHERE a.municipality_id = b.municipality_id AND a.allocation_id = p_allocation
           AND a.period_start = p_period_start AND a.used - v_back + p_minutes <= a.granted
        RETURNING true INTO v_charged;
    ELSE
        PERFORM 1 FROM allocation_period a
         WHERE a.municipality_id = b.municipality_id
           AND ((a.allocation_id = b.allocation_id AND a.period_start = b.period_start)
                OR (a.allocation_id = p_allocation AND a.period_start = p_period_start))
         ORDER BY a.allocation_id, a.period_start FOR UPDATE;
        UPDATE allocation_period a SET used = a.used - v_back
         WHERE a.allocation_id = b.allocation_id AND a.period_start = b.period_start;
        IF p_minutes <= p_granted THEN
            INSERT INTO allocation_period AS a (municipality_id, allocation_id, period_start, period_end, granted, used)
            VALUES (b.municipality_id, p_allocation, p_period_start, p_period_end, p_granted, p_minutes)
            ON CONFLICT ON CONSTRAINT uq_allocation_period_start
            DO UPDATE SET used = a.used + EXCLUDED.used WHERE a.used + EXCLUDED.used <= a.granted
            RETURNING true INTO v_charged;
        ELSE
            UPDATE allocation_period AS a SET used = a.used + p_minutes
             WHERE a.municipality_id = b.municipality_id AND a.allocation_id = p_allocation
               AND a.period_start = p_period_start AND a.used + p_minutes <= a.granted
            RETURNING true INTO v_charged;
        END IF;
    END IF;
    IF v_charged IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'allocation_used_up',
            DETAIL = jsonb_build_object('period_start', p_period_start, 'minutes_left', coalesce(
                (SELECT a.granted - a.used + CASE WHEN b.allocation_id = p_allocation
                                                       AND b.period_start = p_period_start THEN v_back ELSE 0 END
                   FROM allocation_period a
                  WHERE a.municipality_id = b.municipality_id AND a.allocation_id = p_allocation
                    AND a.period_start = p_period_start), p_granted))::text;
    END IF;

    -- Then the cells of both spans, locked in id order: the old given back, the new checked and charged.
    PERFORM 1 FROM capacity_cell c
     WHERE c.department_id = b.department_id
       AND ((c.starts_at < b.span_end AND c.ends_at > b.span_start)
            OR (c.starts_at < p_span_end AND c.ends_at > p_span_start))
     ORDER BY c.id FOR UPDATE;
    UPDATE capacity_cell c SET used = c.used - b.staff_units
     WHERE c.department_id = b.department_id AND c.starts_at < b.span_end AND c.ends_at > b.span_start;
    SELECT count(*), coalesce(bool_or(c.capacity = 0), false), coalesce(bool_or(c.used + p_units > c.capacity), false)
      INTO v_cells, v_closed, v_full
      FROM capacity_cell c
     WHERE c.department_id = b.department_id AND c.starts_at < p_span_end AND c.ends_at > p_span_start;
    IF v_cells < p_cells OR v_closed THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'outside_opening_hours', DETAIL = '{}';
    ELSIF v_full THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'slot_full', DETAIL = '{}';
    END IF;
    UPDATE capacity_cell c SET used = c.used + p_units
     WHERE c.department_id = b.department_id AND c.starts_at < p_span_end AND c.ends_at > p_span_start;

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
                SELECT o.starts_at INTO v_clash FROM booking o
                 WHERE o.municipality_id = b.municipality_id AND o.recipient_id = b.recipient_id AND o.id <> b.id
                   AND o.status IN ('booked', 'delivered', 'no_show') AND o.starts_at < p_ends AND o.ends_at > p_starts
                 ORDER BY o.starts_at LIMIT 1;
                RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
                    DETAIL = jsonb_build_object('starts_at', v_clash)::text;
            END IF;
        END;
    END LOOP;

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
    op.execute(CANCEL_VISIT)
    op.execute(MOVE_VISIT)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION move_visit(uuid, uuid, uuid, date, date, integer, timestamptz, timestamptz, timestamptz, "
        "timestamptz, integer, integer, integer, timestamptz, uuid, uuid, text, text, text)"
    )
    op.execute("DROP FUNCTION cancel_visit(uuid, uuid, text, boolean, timestamptz, uuid, uuid, text, text, text)")
