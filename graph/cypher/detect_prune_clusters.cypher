// Remove Cluster nodes of runs other than $keep (Django keeps every run; the graph keeps the recent ones).
MATCH (c:Cluster)
WHERE NOT c.run_id IN $keep
CALL (c) { DETACH DELETE c } IN TRANSACTIONS OF 50 ROWS
