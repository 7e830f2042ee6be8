// Write one batch of a run's clusters: rows of {cluster_id, key, score, flagged, size}.
UNWIND $rows AS row
MERGE (c:Cluster {cluster_id: row.cluster_id})
SET c.run_id = $run_id, c.key = row.key, c.score = row.score, c.flagged = row.flagged, c.size = row.size
