-- Free times on the grid, computed where the ledger is: the API's availability (`booking.free_slots`) calls this
-- instead of running `booking.availability.grid_free_times` in Python, and answers with the JSON it returns. It is
-- that function's calculation exactly, on the same inputs (tests/integration/test_free_slots.py holds the two
-- equal on random scenes, DST Sundays included). All times are whole minutes from rules.GRID_EPOCH (2000-01-03,
-- a Monday, midnight UTC): a cell's start, and its local wall-clock minute (NULL when not a whole minute: no
-- start); own bookings' starts rounded down and ends up. A start is offered when it is a grid step of its local
-- day, not before `p_past`, not past `p_last_day`, and its day has minutes left (`p_days`/`p_left`); each length
-- gets the status that lasts: yours, no_hours, too_soon (before `p_earliest`), free or busy; a length whose
-- span (with the buffers) leaves the unbroken run of open steps is left out, and so is a start with no length.
-- Returns, per local day (days since the epoch) with a start, its starts as the API's JSON (SlotRead).
-- The planner cannot see how long the arrays are (it guesses 10 rows an unnest, 1 a CTE) and chose nested loops over
-- the steps: 100 ms for 14 days. Without nested loops it sorts and merges instead: 5 ms. And no JIT: the cost that
-- disabling adds would switch it on, and compiling took half a second.
CREATE FUNCTION public.free_slots(
    p_starts bigint[], p_walls bigint[], p_free integer[], p_own_starts bigint[], p_own_ends bigint[],
    p_durations integer[], p_units integer, p_before integer, p_after integer, p_grid integer,
    p_past bigint, p_earliest bigint, p_last_day bigint, p_days bigint[], p_left integer[]
) RETURNS TABLE (day bigint, slots text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET enable_nestloop = off
SET jit = off
AS $$
WITH cell AS (
    SELECT u.start, u.wall, u.free FROM unnest(p_starts, p_walls, p_free) AS u(start, wall, free)
), step AS (  -- the grid steps, each in its unbroken run of open steps (gaps and islands)
    SELECT c.start, c.free < p_units AS full, c.start - p_grid * row_number() OVER (ORDER BY c.start) AS run
      FROM cell c WHERE c.start % p_grid = 0
), run AS (  -- where each step's run ends, and how many steps are full up to and including it
    SELECT s.start, s.full, max(s.start) OVER (PARTITION BY s.run) + p_grid AS run_end,
           sum(CAST(s.full AS integer)) OVER (ORDER BY s.start) AS fulls
      FROM step s
), offered AS (
    SELECT c.start, c.wall, d.day, d.left_minutes
      FROM cell c
      JOIN unnest(p_days, p_left) AS d(day, left_minutes) ON d.day = c.wall / 1440
     WHERE c.wall IS NOT NULL AND c.start >= p_past AND c.wall / 1440 <= p_last_day
       AND c.wall % 1440 % p_grid = 0
), span AS (
    SELECT o.*, m.minutes, m.ord,
           o.start - p_before - ((o.start - p_before) % p_grid + p_grid) % p_grid AS first,
           o.start + m.minutes + p_after AS span_end
      FROM offered o CROSS JOIN unnest(p_durations) WITH ORDINALITY AS m(minutes, ord)
), length AS (
    SELECT s.start, s.wall, s.day, s.minutes, s.ord,
           CASE
               WHEN EXISTS (SELECT 1 FROM unnest(p_own_starts, p_own_ends) AS own(s, e)
                             WHERE own.s < s.start + s.minutes AND own.e > s.start) THEN 'yours'
               WHEN s.minutes > s.left_minutes THEN 'no_hours'
               WHEN s.start < p_earliest THEN 'too_soon'
               WHEN last.fulls - f.fulls + CAST(f.full AS integer) = 0 THEN 'free'
               ELSE 'busy'
           END AS status
      FROM span s
      JOIN run f ON f.start = s.first
      JOIN run last ON last.start = s.first + ((s.span_end - s.first + p_grid - 1) / p_grid - 1) * p_grid
     WHERE f.run_end >= s.first + (s.span_end - s.first + p_grid - 1) / p_grid * p_grid
), slot AS (  -- JSON built as text: numbers, fixed words and timestamps need no escaping, and PostgreSQL's json
               -- functions put a space after every colon and comma (a fifth of the answer's bytes)
    SELECT l.day, l.start,
           '{"start":"' || to_char(TIMESTAMP '2000-01-03' + make_interval(mins => CAST(l.wall AS integer)),
                                   'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN l.wall = l.start THEN 'Z'
                   ELSE CASE WHEN l.wall > l.start THEN '+' ELSE '-' END
                        || to_char(abs(l.wall - l.start) / 60, 'FM00') || ':'
                        || to_char(abs(l.wall - l.start) % 60, 'FM00')
              END
           || '","lengths":['
           || string_agg('{"minutes":' || l.minutes || ',"status":"' || l.status || '"}', ',' ORDER BY l.ord)
           || ']}' AS slot
      FROM length l
     GROUP BY l.day, l.start, l.wall
)
SELECT slot.day, '[' || string_agg(slot.slot, ',' ORDER BY slot.start) || ']'
  FROM slot GROUP BY slot.day ORDER BY slot.day
$$
