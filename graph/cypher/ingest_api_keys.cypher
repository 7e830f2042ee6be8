// API keys and (Account)-[:HAS_KEY]->(APIKey) from the sessions that used them.
UNWIND $rows AS row
MERGE (k:APIKey {key_id: row.key_id})
WITH k, row
MATCH (a:Account {account_id: row.account_id})
MERGE (a)-[:HAS_KEY]->(k)
