// The first and last exchange time over all accounts (epoch seconds), the period the graph covers.
MATCH (a:Account)
WHERE a.first_seen IS NOT NULL
RETURN min(a.first_seen).epochSeconds AS first_seen, max(a.last_seen).epochSeconds AS last_seen, count(a) AS active
