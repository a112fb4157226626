-- Adds p_units staff units (negative: gives them back) to the department's cells of a span. Lock the cells
-- first (visit_cells_check with p_lock, or visit_cells_lock); the CHECK used_within_capacity is the last guard.
CREATE FUNCTION public.visit_cells_take(
    p_municipality uuid, p_department uuid, p_span_start timestamptz, p_span_end timestamptz, p_units integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE capacity_cell AS c SET used = c.used + p_units
     WHERE c.municipality_id = p_municipality AND c.department_id = p_department
       AND c.starts_at > p_span_start - interval '1 hour' AND c.starts_at < p_span_end AND c.ends_at > p_span_start;
END
$$
