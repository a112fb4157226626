"""A booking's locked part in one round trip: the function `book_visit`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

`booking.service.book` checks everything that needs no lock in Python (the pure rules, access, the
decision), then calls this function once. It does, in DESIGN.md's order: the recipient's own overlap
and the cells' room without locks (most refusals in a rush end there, before they queue on a hot row);
the allocation period (an upsert that locks it, guarded by `used + minutes <= granted`); the cells of
the span, locked in id order, checked again and charged; and the insert, under the exclusion constraint
as the last guard. `lock_timeout` is set for the function only. A refusal is raised with SQLSTATE TJ409,
its code as the message and its fields as JSON in the detail; the transaction is then to be rolled
back. A request whose Idempotency-Key has meanwhile been used by a committed booking (two sent at
once) gets that booking back instead of a refusal or a duplicate.

A later column on `booking` needs a default (or a new version of this function): the insert names the
columns it sets and leaves the rest to their defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOK_VISIT = """
CREATE FUNCTION book_visit(
    p_id uuid, p_municipality uuid, p_recipient uuid, p_department uuid, p_service uuid, p_allocation uuid,
    p_period_start date, p_period_end date, p_granted integer,
    p_starts timestamptz, p_ends timestamptz, p_span_start timestamptz, p_span_end timestamptz,
    p_minutes integer, p_units integer, p_cells integer,
    p_acted_by text, p_actor_person uuid, p_actor_token uuid, p_key text, p_scope text
) RETURNS SETOF booking
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    v_clash timestamptz;
    v_cells integer;
    v_closed boolean;
    v_full boolean;
    v_charged boolean;
BEGIN
    BEGIN
        -- Without locks: the recipient's own visits, then the cells' room.
        SELECT b.starts_at INTO v_clash FROM booking b
         WHERE b.municipality_id = p_municipality AND b.recipient_id = p_recipient
           AND b.status IN ('booked', 'delivered', 'no_show') AND b.starts_at < p_ends AND b.ends_at > p_starts
         ORDER BY b.starts_at LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
                DETAIL = jsonb_build_object('starts_at', v_clash)::text;
        END IF;
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM capacity_cell c
         WHERE c.department_id = p_department AND c.starts_at < p_span_end AND c.ends_at > p_span_start;
        IF v_cells < p_cells OR v_closed THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'outside_opening_hours', DETAIL = '{}';
        ELSIF v_full THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'slot_full', DETAIL = '{}';
        END IF;

        -- Locked, the allocation period first: charged in one upsert, never past what is granted.
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
        IF v_charged IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'allocation_used_up',
                DETAIL = jsonb_build_object('period_start', p_period_start, 'minutes_left', coalesce(
                    (SELECT a.granted - a.used FROM allocation_period a
                      WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation
                        AND a.period_start = p_period_start), p_granted))::text;
        END IF;

        -- Then the span's cells, locked in id order and checked again now that no one else can change them.
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM (SELECT c2.used, c2.capacity FROM capacity_cell c2
                 WHERE c2.department_id = p_department AND c2.starts_at < p_span_end AND c2.ends_at > p_span_start
                 ORDER BY c2.id FOR UPDATE) AS c;
        IF v_cells < p_cells OR v_closed THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'outside_opening_hours', DETAIL = '{}';
        ELSIF v_full THEN
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'slot_full', DETAIL = '{}';
        END IF;
        UPDATE capacity_cell AS c SET used = c.used + p_units
         WHERE c.department_id = p_department AND c.starts_at < p_span_end AND c.ends_at > p_span_start;

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
            SELECT b.starts_at INTO v_clash FROM booking b
             WHERE b.municipality_id = p_municipality AND b.recipient_id = p_recipient
               AND b.status IN ('booked', 'delivered', 'no_show') AND b.starts_at < p_ends AND b.ends_at > p_starts
             ORDER BY b.starts_at LIMIT 1;
            RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
                DETAIL = jsonb_build_object('starts_at', v_clash)::text;
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
        "DROP FUNCTION book_visit(uuid, uuid, uuid, uuid, uuid, uuid, date, date, integer, timestamptz, timestamptz, "
        "timestamptz, timestamptz, integer, integer, integer, text, uuid, uuid, text, text)"
    )
