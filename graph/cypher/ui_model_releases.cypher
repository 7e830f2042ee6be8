// Models with a known release time, for marking releases on timelines.
MATCH (m:Model)
WHERE m.released_at IS NOT NULL
RETURN m.name AS model, m.released_at.epochMillis AS released_at__ms
ORDER BY released_at__ms
LIMIT 100
