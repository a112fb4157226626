-- A cancellation's locked part in one round trip. `booking.driver.cancel` reads the booking (its `sequence` too),
-- checks access, its status and start, and decides whether the cancellation is late and whether the minutes come
-- back (the department's policy). Then, in DESIGN.md's lock order: the booking, locked; if its sequence is no
-- longer the one read, nothing is done and no row returned (it changed meanwhile: the caller reads it again and
-- decides anew). Otherwise the allocation period
-- gives the minutes back (when it should), the span's cells are locked in id order and given their staff units
-- back, the booking takes its new status, and the outbox event `cancelled` and the audit entry
-- `booking.<status>` are inserted.
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
