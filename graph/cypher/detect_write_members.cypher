// Write one batch of memberships: rows of {cluster_id, account_id, is_new}.
UNWIND $rows AS row
MATCH (c:Cluster {cluster_id: row.cluster_id})
MATCH (a:Account {account_id: row.account_id})
MERGE (a)-[m:MEMBER_OF]->(c)
SET m.is_new = row.is_new
