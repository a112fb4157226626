-- A signed-in recipient's booking of their own visit in one round trip: `booking.driver.book`'s short way.
-- The caller has planned the visit (the pure rules: the grid, notice, horizon, what it occupies) from the service's
-- and department's facts it keeps, and sends them. Here, in the same statement as the booking: the facts must be the
-- service's and department's now (the service active, in the recipient's municipality), the recipient a person of
-- it, and a decision on the service valid on the visit's local date (the latest begun by then), whose period is
-- worked out here (`visit_period`). Then `book_visit`, acted by the recipient, which answers a retry with the
-- earlier request's booking (the same Idempotency-Key). When any of that does not hold, no row comes back
-- and nothing is written: the caller reads the whole context and decides as for anyone else (and says why not).
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
    -- One query for all of it: each check a query of its own cost PostgreSQL more than the checks themselves.
    v_day := CAST(timezone(p_timezone, p_starts) AS date);
    SELECT v.id, v.minutes, p.period_start, p.period_end
      INTO v_allocation, v_granted, v_period_start, v_period_end
      FROM service s
      JOIN department d ON d.id = s.department_id
      JOIN person r ON r.id = p_recipient AND r.municipality_id = p_municipality
     CROSS JOIN LATERAL (SELECT v2.id, v2.minutes, v2.period, v2.period_anchor FROM allocation v2
                          WHERE v2.recipient_id = p_recipient AND v2.service_id = s.id
                            AND v2.municipality_id = p_municipality AND v2.valid_from <= v_day
                            AND (v2.valid_to IS NULL OR v2.valid_to >= v_day)
                          ORDER BY v2.valid_from DESC, v2.id DESC LIMIT 1) AS v
     CROSS JOIN LATERAL visit_period(v.period, v.period_anchor, v_day) AS p
     WHERE s.id = p_service AND s.municipality_id = p_municipality AND s.active AND s.department_id = p_department
       AND s.durations = p_durations AND s.buffer_before = p_buffer_before AND s.buffer_after = p_buffer_after
       AND s.staff_units = p_units AND d.timezone = p_timezone AND d.grid_minutes = p_grid
       AND d.horizon_days = p_horizon AND d.notice_hours = p_notice;
    IF v_period_start IS NULL THEN
        RETURN;
    END IF;
    -- An earlier request's booking with the same key is found by `book_visit` (its key is unique): it is the answer.
    RETURN QUERY SELECT * FROM book_visit(
        p_id, p_municipality, p_recipient, p_department, p_service, v_allocation, v_period_start, v_period_end,
        v_granted, p_starts, p_ends, p_span_start, p_span_end, p_minutes, p_units, p_cells, 'recipient',
        p_recipient, NULL, p_key, p_scope);
END
$$
