// How many accounts hold each entity of $keys ("kind|id"), graph-wide: the explorer's rarity (an entity shared by
// thousands, a campus NAT or a popular client build, says little about who is linked). Relationship degrees, read
// in constant time per entity; for an IP an account that both signed up from it and used it counts twice (an
// upper bound, as on the account page). Unknown kinds and ids are left out.
UNWIND $keys AS key
WITH key, split(key, '|')[0] AS kind, substring(key, size(split(key, '|')[0]) + 1) AS id
CALL (kind, id) {
  WITH kind, id WHERE kind = 'payment_instrument'
  MATCH (e:PaymentInstrument {fingerprint: id})
  RETURN COUNT { (e)<-[:PAID_WITH]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'billing_address'
  MATCH (e:BillingAddress {hash: id})
  RETURN COUNT { (e)<-[:BILLED_AT]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'billing_name'
  MATCH (e:BillingName {hash: id})
  RETURN COUNT { (e)<-[:BILLED_AS]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'device'
  MATCH (e:Device {fingerprint: id})
  RETURN COUNT { (e)<-[:SIGNED_UP_FROM]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'ip'
  MATCH (e:IP {address: id})
  RETURN COUNT { (e)<-[:USED_IP]-() } + COUNT { (e)<-[:SIGNED_UP_AT]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'client_fingerprint'
  MATCH (e:ClientFingerprint {fingerprint: id})
  RETURN COUNT { (e)<-[:USED_CLIENT]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'template'
  MATCH (e:PromptTemplate {template_id: id})
  RETURN coalesce(e.accounts, COUNT { (e)<-[:USED_TEMPLATE]-(:Account) }) AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'email_domain'
  MATCH (e:EmailDomain {domain: id})
  RETURN COUNT { (e)<-[:EMAIL_AT]-() } AS accounts
  UNION ALL
  WITH kind, id WHERE kind = 'organization'
  MATCH (e:Organization {org_id: id})
  RETURN COUNT { (e)<-[:BELONGS_TO]-() } AS accounts
}
RETURN key, accounts
