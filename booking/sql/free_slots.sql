-- Free times on the grid, computed where the ledger is: the API's availability (`booking.free_slots`) calls this
-- instead of running `booking.availability.grid_free_times` in Python. It is that function's calculation, on the
-- same inputs (tests/integration/test_free_slots.py holds the two equal on random scenes, DST Sundays included),
-- for cells on the grid in UTC, as capacity_cell's are (a cell that is not is neither a step nor a start here).
-- All times are whole minutes from rules.GRID_EPOCH (2000-01-03, a Monday, midnight UTC): a cell's start, and its
-- local wall-clock minute (NULL when not a whole minute: no start); own bookings' starts rounded down and ends up.
-- A start is offered when it is a grid step of its local day, not before `p_past`, not past `p_last_day`, and its
-- day has minutes left (`p_days`/`p_left`); each length gets the status that lasts: yours, no_hours, too_soon
-- (before `p_earliest`), free or busy; a length whose span (with the buffers) leaves the unbroken run of open
-- steps is left out, and so is a start with no length. Returns each start offered, its local wall-clock minute,
-- and its lengths' statuses as one digit each in the order of `p_durations` (`booking.free_slots` writes the JSON:
-- built here it cost PostgreSQL more than the rest together). The runs and counts are window functions over the
-- steps (prefix sums read at per-row offsets): no join, so no plan that depends on guessing an array's length.
-- In PL/pgSQL for its plan, made once a connection: a SQL function's is made again at every call (a few ms).
CREATE FUNCTION public.free_slots(
    p_starts bigint[], p_walls bigint[], p_free integer[], p_own_starts bigint[], p_own_ends bigint[],
    p_durations integer[], p_units integer, p_before integer, p_after integer, p_grid integer,
    p_past bigint, p_earliest bigint, p_last_day bigint, p_days bigint[], p_left integer[]
) RETURNS TABLE (start bigint, wall bigint, codes text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
#variable_conflict use_column
DECLARE
    v_own int8multirange;  -- the recipient's own visits: one overlap test a length, not a scan
    v_first bigint;  -- the first day with a decision: days count from it in v_left
    v_left integer[];  -- the minutes left on each day from v_first (NULL: no decision that day)
BEGIN
    SELECT coalesce(range_agg(int8range(o.s, o.e)), '{}') INTO v_own FROM unnest(p_own_starts, p_own_ends) AS o(s, e);
    SELECT min(d) INTO v_first FROM unnest(p_days) AS d;
    SELECT array_agg(l.left_minutes ORDER BY g) INTO v_left
      FROM generate_series(v_first, (SELECT max(d) FROM unnest(p_days) AS d)) AS g
      LEFT JOIN unnest(p_days, p_left) AS l(day, left_minutes) ON l.day = g;
RETURN QUERY
WITH step AS (  -- the cells on the grid in UTC (all are: capacity_cell is made so), in unbroken runs of steps
    SELECT u.start, u.wall, CAST(u.free < p_units AS integer) AS full,
           u.start - p_grid * row_number() OVER (ORDER BY u.start) AS run
      FROM unnest(p_starts, p_walls, p_free) AS u(start, wall, free)
     WHERE u.start % p_grid = 0
), placed AS (  -- each step's place in its run, the run's length, and the full steps up to it in the run
    SELECT s.start, s.wall, s.run, row_number() OVER w - 1 AS place, count(*) OVER (PARTITION BY s.run) AS steps,
           sum(s.full) OVER w AS fulls
      FROM step s
    WINDOW w AS (PARTITION BY s.run ORDER BY s.start)
), span AS (  -- for each length, the steps its span takes: `back` before the start's, `taken` in all
    SELECT p.*, m.minutes, m.ord, b.back,
           (p.start + m.minutes + p_after - (p.start - b.back * p_grid) + p_grid - 1) / p_grid AS taken
      FROM placed p
     CROSS JOIN unnest(p_durations) WITH ORDINALITY AS m(minutes, ord)
     CROSS JOIN (SELECT (p_before + p_grid - 1) / p_grid AS back) AS b
), counted AS (  -- the full steps among those taken: prefix sums within the run, read at per-row offsets
    SELECT s.*,
           lead(s.fulls, CAST(s.taken - 1 - s.back AS integer)) OVER w
           - lag(s.fulls, CAST(s.back + 1 AS integer), CAST(0 AS bigint)) OVER w AS full_taken
      FROM span s
    WINDOW w AS (PARTITION BY s.ord, s.run ORDER BY s.start)
), coded AS (  -- a length's status: 0 none (its span leaves the run), 1 yours, 2 no_hours, 3 too_soon, 4 free, 5 busy
    SELECT c.start, c.wall, c.ord,
           CASE
               WHEN c.place < c.back OR c.place - c.back + c.taken > c.steps THEN 0
               WHEN v_own && int8range(c.start, c.start + c.minutes) THEN 1
               WHEN c.minutes > v_left[c.wall / 1440 - v_first + 1] THEN 2
               WHEN c.start < p_earliest THEN 3
               WHEN c.full_taken = 0 THEN 4
               ELSE 5
           END AS code
      FROM counted c
     WHERE c.wall IS NOT NULL AND c.start >= p_past AND c.wall / 1440 <= p_last_day AND c.wall % 1440 % p_grid = 0
       AND v_left[c.wall / 1440 - v_first + 1] IS NOT NULL
)
-- The codes of a start in the order of p_durations: the aggregate takes its rows as the subquery sorts them (an
-- ORDER BY inside it would sort once a start).
SELECT k.start, k.wall, string_agg(CAST(k.code AS text), '') AS codes
  FROM (SELECT * FROM coded ORDER BY start, wall, ord) AS k
 GROUP BY k.start, k.wall
HAVING max(k.code) > 0
 ORDER BY k.start;
END
$$
