-- The allocation period containing the local date p_day, as `booking.rules.period_of` works it out: `week` (ISO
-- week, Monday to Sunday), `month` (the calendar month) or `four_weeks` (28 days at a time from p_anchor, either
-- way). One row, of NULLs for a kind it does not know or a four-week period without an anchor.
CREATE FUNCTION public.visit_period(p_kind text, p_anchor date, p_day date)
RETURNS TABLE (period_start date, period_end date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT s, s + CASE p_kind WHEN 'month' THEN CAST(s + interval '1 month' AS date) - s - 1
                          WHEN 'week' THEN 6 ELSE 27 END
  FROM (SELECT CASE
                   WHEN p_kind = 'week' THEN p_day - (CAST(extract(isodow FROM p_day) AS integer) - 1)
                   WHEN p_kind = 'month' THEN CAST(date_trunc('month', p_day) AS date)
                   WHEN p_kind = 'four_weeks' THEN p_anchor + 28 * CAST(floor((p_day - p_anchor) / 28.0) AS integer)
               END AS s) AS p
$$
