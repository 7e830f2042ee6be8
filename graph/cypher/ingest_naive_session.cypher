// Naive baseline (benchmark only): one session row per transaction, with its account, key, IP and client.
MATCH (a:Account {account_id: $row.account_id})
MERGE (s:Session {session_id: $row.session_id})
SET s.started_at = datetime($row.started_at), s.ended_at = datetime($row.ended_at), s.user_agent = $row.user_agent
MERGE (a)-[:HAD_SESSION]->(s)
MERGE (k:APIKey {key_id: $row.api_key_id})
MERGE (s)-[:USED_KEY]->(k)
MERGE (a)-[:HAS_KEY]->(k)
MERGE (ip:IP {address: $row.ip})
MERGE (s)-[:FROM_IP]->(ip)
MERGE (a)-[u:USED_IP]->(ip)
SET u.sessions = coalesce(u.sessions, 0) + 1
