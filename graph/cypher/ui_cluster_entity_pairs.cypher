// Co-membership of a cluster's entity groups: for each pair of the given entity keys ("kind|id"), how many members
// share both. Draws the edges of the aggregated network picture. Same entity union as ui_cluster_entities.
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
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
WITH a, kind + '|' + id AS key
WHERE key IN $keys
WITH a, collect(key) AS keys
UNWIND keys AS k1
UNWIND keys AS k2
WITH k1, k2
WHERE k1 < k2
RETURN k1, k2, count(*) AS shared
ORDER BY shared DESC, k1, k2
