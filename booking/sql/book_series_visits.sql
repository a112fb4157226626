-- A set of recurring visits' occurrences (booking.series), booked in one round trip, each through `book_visit`
-- (the same checks and lock order as a single booking: overlap, the decision's minutes, the cells in id order)
-- inside its own subtransaction, so one refusal leaves the others standing. Then, still holding the cells'
-- locks `book_visit` took, the series share (visit_series_share_check): no cell of the span may have more staff
-- units held by series bookings than p_share percent of its capacity. A booked occurrence gets the outbox
-- event `created` and the audit entry `booking.create` in the same transaction. Each element of p_visits:
-- {id, series, recipient, service, allocation, period_start, period_end, granted, starts, ends, span_start,
-- span_end, minutes, units, cells, acted_by, actor, key}. One row back per element: the booking's id, or the
-- refusal's code (`busy` when a lock was not had within the lock_timeout, or a deadlock was broken).
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
