// The data horizon of the graph: the latest time in any ingested drop (`Drop.as_of`; null before any drop).
MATCH (d:Drop)
RETURN max(d.as_of) AS as_of
