-- The series share (issue 20), under the cells' locks the caller already holds: refuse with TJ409
-- `series_share_full` when any cell overlapping [p_span_start, p_span_end) would have more staff units held by
-- recurring-visit bookings (booking.series_id set, still booked; the caller's own booking among them) than
-- p_share percent of its capacity. p_reach is the longest visit with its buffers that the department's services
-- allow, in minutes: it bounds the scan of ix_booking_series_held to the bookings that can reach the span. Any
-- other series booking of those cells waits on the same cell locks, so the count cannot go stale.
-- Used by book_series_visits (each occurrence) and move_visit (an occurrence moved to another time).
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
