-- Refuses (TJ409 allocation_used_up) with the period's start and the minutes left in it, counting p_back
-- minutes the refused change would have given back to that same period (a move within one period).
CREATE FUNCTION public.visit_refuse_used_up(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_granted integer, p_back integer
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'allocation_used_up',
        DETAIL = jsonb_build_object('period_start', p_period_start, 'minutes_left', coalesce(
            (SELECT a.granted - a.used + p_back FROM allocation_period a
              WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation
                AND a.period_start = p_period_start), p_granted))::text;
END
$$
