// New sessions (none of the batch exists yet): the node with its exchange, template and model facts, and its
// account, key, IP and client. Every referenced node was written by an earlier step. The batch comes as
// columns: $c maps each field to a list, row i is $c.<field>[i].
UNWIND range(0, size($c.session_id) - 1) AS i
MATCH (a:Account {account_id: $c.account_id[i]})
MATCH (k:APIKey {key_id: $c.api_key_id[i]})
MATCH (ip:IP {address: $c.ip[i]})
CREATE (s:Session {session_id: $c.session_id[i]})
SET s.started_at = datetime({epochMillis: $c.started_at[i]}),
    s.ended_at = datetime({epochMillis: $c.ended_at[i]}),
    s.user_agent = $c.user_agent[i],
    s.asn = $c.asn[i],
    s.exchanges = $c.exchanges[i],
    s.input_tokens = $c.input_tokens[i],
    s.output_tokens = $c.output_tokens[i],
    s.reasoning_exchanges = $c.reasoning_exchanges[i],
    s.cap_counts = $c.cap_counts[i],
    s.hours = $c.hours[i],
    s.hour_counts = $c.hour_counts[i],
    s.first_seen = CASE WHEN $c.first_seen[i] IS NULL THEN null ELSE datetime({epochMillis: $c.first_seen[i]}) END,
    s.last_seen = CASE WHEN $c.last_seen[i] IS NULL THEN null ELSE datetime({epochMillis: $c.last_seen[i]}) END,
    s.templates = $c.templates[i],
    s.template_exchanges = $c.template_exchanges[i],
    s.template_first = $c.template_first[i],
    s.template_last = $c.template_last[i],
    s.models = $c.models[i],
    s.model_exchanges = $c.model_exchanges[i],
    s.model_first = $c.model_first[i],
    s.model_last = $c.model_last[i]
CREATE (a)-[:HAD_SESSION]->(s)
CREATE (s)-[:USED_KEY]->(k)
CREATE (s)-[:FROM_IP]->(ip)
WITH s, i
CALL (s, i) {
  MATCH (c:ClientFingerprint {fingerprint: $c.client_fingerprint[i]})
  CREATE (s)-[:WITH_CLIENT]->(c)
}
RETURN count(*) AS written
