// One entity by kind and natural id: its properties and how many accounts hold it (counted up to $scan for
// entities reached through many IPs: subnets, ASNs and models).
CALL () {
  WITH 1 AS x WHERE $kind = 'payment_instrument'
  MATCH (e:PaymentInstrument {fingerprint: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:PAID_WITH]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'billing_address'
  MATCH (e:BillingAddress {hash: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:BILLED_AT]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'billing_name'
  MATCH (e:BillingName {hash: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:BILLED_AS]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'device'
  MATCH (e:Device {fingerprint: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:SIGNED_UP_FROM]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'ip'
  MATCH (e:IP {address: $id})
  OPTIONAL MATCH (e)-[:IN]->(sn:Subnet)
  OPTIONAL MATCH (sn)-[:IN]->(asn:ASN)
  RETURN e {.*, subnet: sn.prefix, asn: asn.number, asn_name: asn.name, asn_type: asn.type,
            sessions: COUNT { (e)<-[:FROM_IP]-() }} AS props,
         size(COLLECT { MATCH (e)<-[:SIGNED_UP_AT|USED_IP]-(b:Account) RETURN DISTINCT b.account_id LIMIT $scan })
           AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'subnet'
  MATCH (e:Subnet {prefix: $id})
  OPTIONAL MATCH (e)-[:IN]->(asn:ASN)
  RETURN e {.*, asn: asn.number, asn_name: asn.name, asn_type: asn.type, ips: COUNT { (e)<-[:IN]-() }} AS props,
         size(COLLECT { MATCH (e)<-[:IN]-(:IP)<-[:SIGNED_UP_AT|USED_IP]-(b:Account)
                        RETURN DISTINCT b.account_id LIMIT $scan }) AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'asn'
  MATCH (e:ASN {number: toInteger($id)})
  RETURN e {.*, subnets: COUNT { (e)<-[:IN]-() }} AS props,
         size(COLLECT { MATCH (e)<-[:IN]-(:Subnet)<-[:IN]-(:IP)<-[:SIGNED_UP_AT|USED_IP]-(b:Account)
                        RETURN DISTINCT b.account_id LIMIT $scan }) AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'client_fingerprint'
  MATCH (e:ClientFingerprint {fingerprint: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:USED_CLIENT]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'email_domain'
  MATCH (e:EmailDomain {domain: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:EMAIL_AT]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'template'
  MATCH (e:PromptTemplate {template_id: $id})
  RETURN e {.*} AS props,
         CASE WHEN e.accounts IS NOT NULL THEN e.accounts ELSE COUNT { (e)<-[:USED_TEMPLATE]-(:Account) } END
           AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'model'
  MATCH (e:Model {name: $id})
  RETURN e {.*} AS props,
         size(COLLECT { MATCH (e)<-[:USED_MODEL]-(b:Account) RETURN b.account_id LIMIT $scan }) AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'organization'
  MATCH (e:Organization {org_id: $id})
  RETURN e {.*} AS props, COUNT { (e)<-[:BELONGS_TO]-() } AS accounts
  UNION ALL
  WITH 1 AS x WHERE $kind = 'api_key'
  MATCH (e:APIKey {key_id: $id})
  RETURN e {.*, sessions: COUNT { (e)<-[:USED_KEY]-() }} AS props, COUNT { (e)<-[:HAS_KEY]-() } AS accounts
}
RETURN props, accounts
LIMIT 1
