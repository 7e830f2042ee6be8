// Remove the Cluster nodes (and their MEMBER_OF) a run wrote, so a retried run starts clean.
MATCH (c:Cluster {run_id: $run_id})
CALL (c) { DETACH DELETE c } IN TRANSACTIONS OF 50 ROWS
