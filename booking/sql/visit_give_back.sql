-- Gives p_minutes back to the allocation period they were taken from (its row locked by the update).
CREATE FUNCTION public.visit_give_back(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_minutes integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE allocation_period AS a SET used = a.used - p_minutes
     WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation AND a.period_start = p_period_start;
END
$$
