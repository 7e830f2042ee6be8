// A cluster's traffic per model, grouped by the days (epoch days) of first and last use of each member; the
// share of traffic on each model around releases spreads each group evenly over its days.
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(:Account)-[u:USED_MODEL]->(m:Model)
WHERE u.first_seen IS NOT NULL AND u.last_seen IS NOT NULL
RETURN m.name AS model,
       u.first_seen.epochSeconds / 86400 AS first_day,
       u.last_seen.epochSeconds / 86400 AS last_day,
       sum(coalesce(u.exchanges, 0)) AS exchanges
ORDER BY model, first_day, last_day
