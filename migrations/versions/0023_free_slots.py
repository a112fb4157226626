"""Free times computed in PostgreSQL: the function `free_slots` the API's availability calls.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

`free_slots` (booking/sql/free_slots.sql) is `booking.availability.grid_free_times` in SQL, on the same whole-minute
inputs, answering each day's starts as the API's JSON; `booking.free_slots` feeds it the ledger's cells and the
recipient's own visits in one statement. The statement below is the source file as it was at this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = (
    "public.free_slots(bigint[], bigint[], integer[], bigint[], bigint[], integer[], integer, integer, integer, "
    "integer, bigint, bigint, bigint, bigint[], integer[])"
)

FREE_SLOTS = """
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
"""


def upgrade() -> None:
    op.execute(FREE_SLOTS)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
