// The accounts holding each entity of $keys ("kind|id"): $skip of them passed over, at most $limit listed, in the
// graph's own order (stable while the graph does not change, so the explorer can page through a big entity). The
// explorer's expansion of an entity and the path search's step from entities to accounts. Unknown kinds give none.
UNWIND $keys AS key
WITH key, split(key, '|')[0] AS kind, substring(key, size(split(key, '|')[0]) + 1) AS id
CALL (kind, id) {
  WITH kind, id WHERE kind = 'payment_instrument'
  RETURN COLLECT { MATCH (:PaymentInstrument {fingerprint: id})<-[:PAID_WITH]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'billing_address'
  RETURN COLLECT { MATCH (:BillingAddress {hash: id})<-[:BILLED_AT]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'billing_name'
  RETURN COLLECT { MATCH (:BillingName {hash: id})<-[:BILLED_AS]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'device'
  RETURN COLLECT { MATCH (:Device {fingerprint: id})<-[:SIGNED_UP_FROM]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'ip'
  RETURN COLLECT { MATCH (:IP {address: id})<-[:SIGNED_UP_AT|USED_IP]-(a:Account)
                   RETURN DISTINCT a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'client_fingerprint'
  RETURN COLLECT { MATCH (:ClientFingerprint {fingerprint: id})<-[:USED_CLIENT]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'template'
  RETURN COLLECT { MATCH (:PromptTemplate {template_id: id})<-[:USED_TEMPLATE]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'email_domain'
  RETURN COLLECT { MATCH (:EmailDomain {domain: id})<-[:EMAIL_AT]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
  UNION ALL
  WITH kind, id WHERE kind = 'organization'
  RETURN COLLECT { MATCH (:Organization {org_id: id})<-[:BELONGS_TO]-(a:Account)
                   RETURN a.account_id SKIP $skip LIMIT $limit } AS holders
}
RETURN key, holders
