// Hourly activity of a cluster: exchanges per UTC hour bucket (epoch seconds // 3600), summed over its members.
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
WHERE a.hours IS NOT NULL AND a.hour_counts IS NOT NULL
UNWIND range(0, size(a.hours) - 1) AS i
WITH a.hours[i] AS hour, a.hour_counts[i] AS exchanges
RETURN hour, sum(exchanges) AS exchanges
ORDER BY hour
