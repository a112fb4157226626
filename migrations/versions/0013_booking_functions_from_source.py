"""The booking functions from their source files (booking/sql/): shared helpers, and the drift fixed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

From here on `book_visit`, `cancel_visit` and `move_visit` have one source file each under `booking/sql/`,
compared with the database by alembic_utils (`migrations/env.py`): a change to a file needs a migration like
this one (`alembic revision --autogenerate` writes its operations), else `alembic check` fails. This one
replaces the three with versions that share helpers instead of copies: `visit_refuse_overlap` (the recipient's
own visits, now through the GiST index of `no_overlap_per_recipient`), `visit_charge`, `visit_give_back` and
`visit_refuse_used_up` (the allocation period), `visit_cells_check`, `visit_cells_lock` and `visit_cells_take`
(the capacity cells, now filtered by `municipality_id` as their only index begins, and bounded to the hour
before the span). It fixes the drift: `move_visit`'s and `cancel_visit`'s give-back updates of
`allocation_period` lacked the `municipality_id` filter. The statements below are the source files as they
were at this revision (a migration never changes); the downgrade restores migrations 0008's and 0010's.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.earlier import earlier

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_CELLS_CHECK = """
CREATE FUNCTION public.visit_cells_check(
    p_municipality uuid, p_department uuid, p_span_start timestamptz, p_span_end timestamptz, p_units integer,
    p_cells integer, p_lock boolean
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_cells integer;
    v_closed boolean;
    v_full boolean;
BEGIN
    IF p_lock THEN
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM (SELECT c2.used, c2.capacity FROM capacity_cell c2
                 WHERE c2.municipality_id = p_municipality AND c2.department_id = p_department
                   AND c2.starts_at > p_span_start - interval '1 hour' AND c2.starts_at < p_span_end
                   AND c2.ends_at > p_span_start
                 ORDER BY c2.id FOR UPDATE) AS c;
    ELSE
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM capacity_cell c
         WHERE c.municipality_id = p_municipality AND c.department_id = p_department
           AND c.starts_at > p_span_start - interval '1 hour' AND c.starts_at < p_span_end
           AND c.ends_at > p_span_start;
    END IF;
    IF v_cells < p_cells OR v_closed THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'outside_opening_hours', DETAIL = '{}';
    ELSIF v_full THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'slot_full', DETAIL = '{}';
    END IF;
END
$$
"""

VISIT_CELLS_LOCK = """
CREATE FUNCTION public.visit_cells_lock(
    p_municipality uuid, p_department uuid, p_start timestamptz, p_end timestamptz,
    p_other_start timestamptz, p_other_end timestamptz
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM 1 FROM capacity_cell c
     WHERE c.municipality_id = p_municipality AND c.department_id = p_department
       AND ((c.starts_at > p_start - interval '1 hour' AND c.starts_at < p_end AND c.ends_at > p_start)
            OR (c.starts_at > p_other_start - interval '1 hour' AND c.starts_at < p_other_end
                AND c.ends_at > p_other_start))
     ORDER BY c.id FOR UPDATE;
END
$$
"""

VISIT_CELLS_TAKE = """
CREATE FUNCTION public.visit_cells_take(
    p_municipality uuid, p_department uuid, p_span_start timestamptz, p_span_end timestamptz, p_units integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE capacity_cell AS c SET used = c.used + p_units
     WHERE c.municipality_id = p_municipality AND c.department_id = p_department
       AND c.starts_at > p_span_start - interval '1 hour' AND c.starts_at < p_span_end AND c.ends_at > p_span_start;
END
$$
"""

VISIT_CHARGE = """
CREATE FUNCTION public.visit_charge(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_period_end date, p_granted integer,
    p_minutes integer
) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_charged boolean;
BEGIN
    IF p_minutes <= p_granted THEN
        INSERT INTO allocation_period AS a (municipality_id, allocation_id, period_start, period_end, granted, used)
        VALUES (p_municipality, p_allocation, p_period_start, p_period_end, p_granted, p_minutes)
        ON CONFLICT ON CONSTRAINT uq_allocation_period_start
        DO UPDATE SET used = a.used + EXCLUDED.used WHERE a.used + EXCLUDED.used <= a.granted
        RETURNING true INTO v_charged;
    ELSE  -- more than a fresh period grants: only an existing period with a larger grant can take it
        UPDATE allocation_period AS a SET used = a.used + p_minutes
         WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation
           AND a.period_start = p_period_start AND a.used + p_minutes <= a.granted
        RETURNING true INTO v_charged;
    END IF;
    RETURN coalesce(v_charged, false);
END
$$
"""

VISIT_GIVE_BACK = """
CREATE FUNCTION public.visit_give_back(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_minutes integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE allocation_period AS a SET used = a.used - p_minutes
     WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation AND a.period_start = p_period_start;
END
$$
"""

VISIT_REFUSE_OVERLAP = """
CREATE FUNCTION public.visit_refuse_overlap(
    p_municipality uuid, p_recipient uuid, p_starts timestamptz, p_ends timestamptz, p_except uuid
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_clash timestamptz;
BEGIN
    SELECT b.starts_at INTO v_clash FROM booking b
     WHERE b.municipality_id = p_municipality AND b.recipient_id = p_recipient
       AND b.status IN ('booked', 'delivered', 'no_show')
       AND tstzrange(b.starts_at, b.ends_at) && tstzrange(p_starts, p_ends)
       AND b.id IS DISTINCT FROM p_except
     ORDER BY b.starts_at LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
            DETAIL = jsonb_build_object('starts_at', v_clash)::text;
    END IF;
END
$$
"""

VISIT_REFUSE_USED_UP = """
CREATE FUNCTION public.visit_refuse_used_up(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_granted integer, p_back integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'allocation_used_up',
        DETAIL = jsonb_build_object('period_start', p_period_start, 'minutes_left', coalesce(
            (SELECT a.granted - a.used + p_back FROM allocation_period a
              WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation
                AND a.period_start = p_period_start), p_granted))::text;
END
$$
"""

BOOK_VISIT = """
CREATE FUNCTION public.book_visit(
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
        -- Without locks: the recipient's own visits, then the cells' room.
        PERFORM visit_refuse_overlap(p_municipality, p_recipient, p_starts, p_ends, NULL);
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
        IF SQLSTATE = '23P01' THEN  -- an overlapping visit of the recipient's committed meanwhile
            PERFORM visit_refuse_overlap(p_municipality, p_recipient, p_starts, p_ends, NULL);
        END IF;
        RAISE;
    END;
END
$$
"""

CANCEL_VISIT = """
CREATE FUNCTION public.cancel_visit(
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

HELPERS = (
    VISIT_CELLS_CHECK, VISIT_CELLS_LOCK, VISIT_CELLS_TAKE, VISIT_CHARGE, VISIT_GIVE_BACK, VISIT_REFUSE_OVERLAP,
    VISIT_REFUSE_USED_UP,
)  # fmt: skip
REPLACED = (BOOK_VISIT, CANCEL_VISIT, MOVE_VISIT)
HELPER_SIGNATURES = (
    "visit_cells_check(uuid, uuid, timestamptz, timestamptz, integer, integer, boolean)",
    "visit_cells_lock(uuid, uuid, timestamptz, timestamptz, timestamptz, timestamptz)",
    "visit_cells_take(uuid, uuid, timestamptz, timestamptz, integer)",
    "visit_charge(uuid, uuid, date, date, integer, integer)",
    "visit_give_back(uuid, uuid, date, integer)",
    "visit_refuse_overlap(uuid, uuid, timestamptz, timestamptz, uuid)",
    "visit_refuse_used_up(uuid, uuid, date, integer, integer)",
)


def _or_replace(statement: str) -> str:
    return statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    for statement in (*HELPERS, *REPLACED):
        op.execute(_or_replace(statement))


def downgrade() -> None:
    book, cancel_and_move = earlier("0008_book_visit_function.py"), earlier("0010_cancel_and_move_visit_functions.py")
    for statement in (book.BOOK_VISIT, cancel_and_move.CANCEL_VISIT, cancel_and_move.MOVE_VISIT):
        op.execute(_or_replace(statement))
    for signature in HELPER_SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
