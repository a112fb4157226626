-- Refuses (TJ409) a span the department's cells cannot take p_units more staff in: outside_opening_hours when
-- fewer than p_cells cells cover it or one is closed, slot_full when one has no room. With p_lock the cells are
-- locked first, in id order (DESIGN.md's lock order: the allocation period, then the cells by id).
-- Cells are one grid step long, at most 60 minutes (ck_department_grid_known), so every cell of the span
-- starts within the hour before it: that bound keeps the scan of uq_capacity_cell_start to the span.
CREATE FUNCTION public.visit_cells_check(
    p_municipality uuid, p_department uuid, p_span_start timestamptz, p_span_end timestamptz, p_units integer,
    p_cells integer, p_lock boolean
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_cells integer;
    v_closed boolean;
    v_full boolean;
BEGIN
    IF p_lock THEN
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM (SELECT c2.used, c2.capacity FROM capacity_cell c2
                 WHERE c2.municipality_id = p_municipality AND c2.department_id = p_department
                   AND c2.starts_at > p_span_start - interval '1 hour' AND c2.starts_at < p_span_end
                   AND c2.ends_at > p_span_start
                 ORDER BY c2.id FOR UPDATE) AS c;
    ELSE
        SELECT count(*), coalesce(bool_or(c.capacity = 0), false),
               coalesce(bool_or(c.used + p_units > c.capacity), false)
          INTO v_cells, v_closed, v_full
          FROM capacity_cell c
         WHERE c.municipality_id = p_municipality AND c.department_id = p_department
           AND c.starts_at > p_span_start - interval '1 hour' AND c.starts_at < p_span_end
           AND c.ends_at > p_span_start;
    END IF;
    IF v_cells < p_cells OR v_closed THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'outside_opening_hours', DETAIL = '{}';
    ELSIF v_full THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'slot_full', DETAIL = '{}';
    END IF;
END
$$
