// Accounts with the entity keys ("kind|id", among $keys, or all with $keys null) they hold, and their
// profile times, for drawing account nodes (the network picture and the explorer). With $only_key set, only the
// members holding that key (one expanded group). Same union as ui_cluster_entities.
// The accounts are a cluster's members ($cluster_id) and/or the accounts $account_ids (either may be null).
CALL () {
  MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
  RETURN a
  UNION
  UNWIND coalesce($account_ids, []) AS account_id
  MATCH (a:Account {account_id: account_id})
  RETURN a
}
CALL (a) {
  MATCH (a)-[:PAID_WITH]->(e:PaymentInstrument)
  RETURN 'payment_instrument' AS kind, e.fingerprint AS id
  UNION
  MATCH (a)-[:BILLED_AT]->(e:BillingAddress)
  RETURN 'billing_address' AS kind, e.hash AS id
  UNION
  MATCH (a)-[:BILLED_AS]->(e:BillingName)
  RETURN 'billing_name' AS kind, e.hash AS id
  UNION
  MATCH (a)-[:SIGNED_UP_FROM]->(e:Device)
  RETURN 'device' AS kind, e.fingerprint AS id
  UNION
  MATCH (a)-[:SIGNED_UP_AT]->(e:IP)
  RETURN 'ip' AS kind, e.address AS id
  UNION
  MATCH (a)-[r:USED_IP]->(e:IP)
  WITH e, r ORDER BY r.sessions DESC LIMIT $per_account
  RETURN 'ip' AS kind, e.address AS id
  UNION
  MATCH (a)-[r:USED_CLIENT]->(e:ClientFingerprint)
  WITH e, r ORDER BY r.sessions DESC LIMIT $per_account
  RETURN 'client_fingerprint' AS kind, e.fingerprint AS id
  UNION
  MATCH (a)-[r:USED_TEMPLATE]->(e:PromptTemplate)
  WITH e, r ORDER BY r.exchanges DESC LIMIT $per_account
  RETURN 'template' AS kind, e.template_id AS id
  UNION
  MATCH (a)-[:EMAIL_AT]->(e:EmailDomain)
  WHERE NOT coalesce(e.free, false)
  RETURN 'email_domain' AS kind, e.domain AS id
  UNION
  MATCH (a)-[:BELONGS_TO]->(e:Organization)
  RETURN 'organization' AS kind, e.org_id AS id
}
WITH a, collect(kind + '|' + id) AS held
WHERE $only_key IS NULL OR $only_key IN held
RETURN a.account_id AS account_id,
       coalesce(a.exchanges, 0) AS exchanges,
       a.status AS status,
       a.created_at.epochMillis AS created_at__ms,
       a.status_changed_at.epochMillis AS status_changed_at__ms,
       a.first_seen.epochMillis AS first_seen__ms,
       a.last_seen.epochMillis AS last_seen__ms,
       CASE WHEN $keys IS NULL THEN held ELSE [k IN held WHERE k IN $keys] END AS keys
ORDER BY exchanges DESC, account_id
LIMIT $limit
