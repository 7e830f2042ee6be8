// One account's profile with its exchange facts, organisation, email domain, sign-up device and IP, and counts.
// Times come as epoch milliseconds (columns ending in __ms): the Python driver decodes temporal values slowly.
MATCH (a:Account {account_id: $account_id})
OPTIONAL MATCH (a)-[:BELONGS_TO]->(o:Organization)
OPTIONAL MATCH (a)-[:EMAIL_AT]->(d:EmailDomain)
OPTIONAL MATCH (a)-[:SIGNED_UP_FROM]->(dev:Device)
OPTIONAL MATCH (a)-[:SIGNED_UP_AT]->(ip:IP)
RETURN a.account_id AS account_id,
       a.email AS email,
       a.plan AS plan,
       a.status AS status,
       a.country AS country,
       a.created_at.epochMillis AS created_at__ms,
       a.status_changed_at.epochMillis AS status_changed_at__ms,
       a.first_seen.epochMillis AS first_seen__ms,
       a.last_seen.epochMillis AS last_seen__ms,
       coalesce(a.exchanges, 0) AS exchanges,
       coalesce(a.input_tokens, 0) AS input_tokens,
       coalesce(a.output_tokens, 0) AS output_tokens,
       coalesce(a.reasoning_exchanges, 0) AS reasoning_exchanges,
       a.cap_counts AS cap_counts,
       a.hours AS hours,
       a.hour_counts AS hour_counts,
       o.org_id AS org_id,
       d.domain AS email_domain,
       d.free AS email_free,
       dev.fingerprint AS device,
       ip.address AS signup_ip,
       COUNT { (a)-[:HAD_SESSION]->() } AS sessions,
       COUNT { (a)-[:HAS_KEY]->() } AS api_keys
