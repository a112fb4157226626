-- A signed-in recipient's cancellation of their own visit in one round trip: `booking.driver.cancel`'s short way.
-- The booking must be the recipient's, active and not begun, and the recipient a person of the municipality; then
-- the department's deadline decides, as `booking.rules.is_late_cancellation` does (late when now is past the
-- visit's start less the deadline), and its policy whether a late cancellation still uses the minutes; then
-- `cancel_visit` on the booking as read here (its sequence). When any of that does not hold, no row comes back and
-- nothing is written: the caller reads the booking's whole context and decides as for anyone else (and says why).
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
