// Ids of the accounts that hold one entity ($kind, $id), at most $scan of them (big entities are sampled).
CALL () {
  WITH 1 AS x WHERE $kind = 'payment_instrument'
  MATCH (:PaymentInstrument {fingerprint: $id})<-[:PAID_WITH]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'billing_address'
  MATCH (:BillingAddress {hash: $id})<-[:BILLED_AT]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'billing_name'
  MATCH (:BillingName {hash: $id})<-[:BILLED_AS]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'device'
  MATCH (:Device {fingerprint: $id})<-[:SIGNED_UP_FROM]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'ip'
  MATCH (:IP {address: $id})<-[:SIGNED_UP_AT|USED_IP]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'subnet'
  MATCH (:Subnet {prefix: $id})<-[:IN]-(:IP)<-[:SIGNED_UP_AT|USED_IP]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'asn'
  MATCH (:ASN {number: toInteger($id)})<-[:IN]-(:Subnet)<-[:IN]-(:IP)<-[:SIGNED_UP_AT|USED_IP]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'client_fingerprint'
  MATCH (:ClientFingerprint {fingerprint: $id})<-[:USED_CLIENT]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'email_domain'
  MATCH (:EmailDomain {domain: $id})<-[:EMAIL_AT]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'template'
  MATCH (:PromptTemplate {template_id: $id})<-[:USED_TEMPLATE]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'model'
  MATCH (:Model {name: $id})<-[:USED_MODEL]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'organization'
  MATCH (:Organization {org_id: $id})<-[:BELONGS_TO]-(a:Account)
  RETURN a
  UNION
  WITH 1 AS x WHERE $kind = 'api_key'
  MATCH (:APIKey {key_id: $id})<-[:HAS_KEY]-(a:Account)
  RETURN a
}
WITH a
LIMIT $scan
RETURN a.account_id AS account_id
