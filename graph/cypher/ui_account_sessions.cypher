// One page of an account's sessions, newest first, with IP, subnet, ASN, API key, client and models used.
MATCH (a:Account {account_id: $account_id})-[:HAD_SESSION]->(s:Session)
WITH s
ORDER BY s.started_at DESC, s.session_id
SKIP $skip
LIMIT $limit
OPTIONAL MATCH (s)-[:FROM_IP]->(ip:IP)
OPTIONAL MATCH (ip)-[:IN]->(sn:Subnet)
OPTIONAL MATCH (sn)-[:IN]->(asn:ASN)
OPTIONAL MATCH (s)-[:USED_KEY]->(k:APIKey)
OPTIONAL MATCH (s)-[:WITH_CLIENT]->(cf:ClientFingerprint)
RETURN s.session_id AS session_id,
       s.started_at.epochMillis AS started_at__ms,
       s.ended_at.epochMillis AS ended_at__ms,
       s.user_agent AS user_agent,
       coalesce(s.exchanges, 0) AS exchanges,
       coalesce(s.reasoning_exchanges, 0) AS reasoning_exchanges,
       ip.address AS ip,
       sn.prefix AS subnet,
       coalesce(asn.number, s.asn) AS asn,
       asn.name AS asn_name,
       asn.type AS asn_type,
       k.key_id AS api_key,
       cf.fingerprint AS client_fingerprint,
       coalesce(s.models, []) AS models
ORDER BY started_at__ms DESC, session_id
