// Network picture of a cluster: the entities its members share (at least $min_members of them), with how many
// members and how much traffic each ties together, largest first. Per member, IPs and templates are capped at
// $per_account (its busiest ones) so a proxy-rotating account cannot blow the query up.
// The entity union is repeated in ui_cluster_entity_pairs and ui_cluster_account_keys: keep the three in step.
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
WITH kind, id, count(a) AS members, sum(coalesce(a.exchanges, 0)) AS exchanges
WHERE members >= $min_members
RETURN kind, id, members, exchanges
ORDER BY members DESC, exchanges DESC, kind, id
LIMIT $limit
