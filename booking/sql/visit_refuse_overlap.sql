-- Refuses (TJ409 overlaps_own_booking, with the first clash's start) when the recipient holds an active visit
-- that overlaps [p_starts, p_ends), other than p_except. Written against the GiST index of the exclusion
-- constraint no_overlap_per_recipient (same columns, operator and predicate), so it reads only the visits
-- near that time, however long the recipient's history.
CREATE FUNCTION public.visit_refuse_overlap(
    p_municipality uuid, p_recipient uuid, p_starts timestamptz, p_ends timestamptz, p_except uuid
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_clash timestamptz;
BEGIN
    SELECT b.starts_at INTO v_clash FROM booking b
     WHERE b.municipality_id = p_municipality AND b.recipient_id = p_recipient
       AND b.status IN ('booked', 'delivered', 'no_show')
       AND tstzrange(b.starts_at, b.ends_at) && tstzrange(p_starts, p_ends)
       AND b.id IS DISTINCT FROM p_except
     ORDER BY b.starts_at LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'overlaps_own_booking',
            DETAIL = jsonb_build_object('starts_at', v_clash)::text;
    END IF;
END
$$
