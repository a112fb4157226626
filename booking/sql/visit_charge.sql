-- Charges p_minutes to an allocation period, never past what it grants: one upsert that locks the period's
-- row (created with p_granted on first use). True when charged, false when the period has no room.
CREATE FUNCTION public.visit_charge(
    p_municipality uuid, p_allocation uuid, p_period_start date, p_period_end date, p_granted integer,
    p_minutes integer
) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_charged boolean;
BEGIN
    IF p_minutes <= p_granted THEN
        INSERT INTO allocation_period AS a (municipality_id, allocation_id, period_start, period_end, granted, used)
        VALUES (p_municipality, p_allocation, p_period_start, p_period_end, p_granted, p_minutes)
        ON CONFLICT ON CONSTRAINT uq_allocation_period_start
        DO UPDATE SET used = a.used + EXCLUDED.used WHERE a.used + EXCLUDED.used <= a.granted
        RETURNING true INTO v_charged;
    ELSE  -- more than a fresh period grants: only an existing period with a larger grant can take it
        UPDATE allocation_period AS a SET used = a.used + p_minutes
         WHERE a.municipality_id = p_municipality AND a.allocation_id = p_allocation
           AND a.period_start = p_period_start AND a.used + p_minutes <= a.granted
        RETURNING true INTO v_charged;
    END IF;
    RETURN coalesce(v_charged, false);
END
$$
