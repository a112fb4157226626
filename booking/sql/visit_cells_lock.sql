-- Locks the department's cells of one span, or of two (a move's old and new), in id order.
-- (The hour's bound: see visit_cells_check.)
CREATE FUNCTION public.visit_cells_lock(
    p_municipality uuid, p_department uuid, p_start timestamptz, p_end timestamptz,
    p_other_start timestamptz, p_other_end timestamptz
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM 1 FROM capacity_cell c
     WHERE c.municipality_id = p_municipality AND c.department_id = p_department
       AND ((c.starts_at > p_start - interval '1 hour' AND c.starts_at < p_end AND c.ends_at > p_start)
            OR (c.starts_at > p_other_start - interval '1 hour' AND c.starts_at < p_other_end
                AND c.ends_at > p_other_start))
     ORDER BY c.id FOR UPDATE;
END
$$
