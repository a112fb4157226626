"""A recipient's cancellation of their own visit in one statement: the function `cancel_own_visit`.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05

`cancel_own_visit` (booking/sql/cancel_own_visit.sql) finds the recipient's own active, upcoming booking, decides as
`booking.rules.is_late_cancellation` whether the cancellation is late, and cancels it with `cancel_visit`, in one
statement. The statement below is the source file as it was at this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CANCEL_OWN_VISIT = """
CREATE FUNCTION public.cancel_own_visit(
    p_booking uuid, p_municipality uuid, p_person uuid, p_now timestamptz, p_ip text, p_user_agent text,
    p_request_id text
) RETURNS SETOF booking
LANGUAGE plpgsql
AS $$
DECLARE
    v_sequence integer;
    v_late boolean;
    v_uses boolean;
BEGIN
    SELECT b.sequence, p_now > b.starts_at - make_interval(hours => d.cancel_deadline_hours),
           d.late_cancel_uses_allocation
      INTO v_sequence, v_late, v_uses
      FROM booking b JOIN department d ON d.id = b.department_id
     WHERE b.id = p_booking AND b.municipality_id = p_municipality AND b.recipient_id = p_person
       AND b.status = 'booked' AND b.starts_at > p_now
       AND EXISTS (SELECT 1 FROM person r WHERE r.id = p_person AND r.municipality_id = p_municipality);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM cancel_visit(
        p_booking, p_municipality, CASE WHEN v_late THEN 'late_cancelled' ELSE 'cancelled' END,
        NOT (v_late AND v_uses), p_now, p_person, NULL, p_ip, p_user_agent, p_request_id, v_sequence);
END
$$
"""


def upgrade() -> None:
    op.execute(CANCEL_OWN_VISIT)


def downgrade() -> None:
    op.execute("DROP FUNCTION public.cancel_own_visit(uuid, uuid, uuid, timestamptz, text, text, text)")
