// Neighbours of an account: for each entity it holds (its $per_kind busiest IPs, clients and templates), how many
// other accounts hold it too, and up to $sample of them. Starts from the indexed account; every expansion capped;
// counts of very busy addresses come from relationship degrees ($exact_cap).
MATCH (a:Account {account_id: $account_id})
CALL (a) {
  MATCH (a)-[:PAID_WITH]->(e:PaymentInstrument)
  RETURN 'payment_instrument' AS kind, e.fingerprint AS id,
         COUNT { (e)<-[:PAID_WITH]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:PAID_WITH]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[:BILLED_AT]->(e:BillingAddress)
  RETURN 'billing_address' AS kind, e.hash AS id,
         COUNT { (e)<-[:BILLED_AT]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:BILLED_AT]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[:BILLED_AS]->(e:BillingName)
  RETURN 'billing_name' AS kind, e.hash AS id,
         COUNT { (e)<-[:BILLED_AS]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:BILLED_AS]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[:SIGNED_UP_FROM]->(e:Device)
  RETURN 'device' AS kind, e.fingerprint AS id,
         COUNT { (e)<-[:SIGNED_UP_FROM]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:SIGNED_UP_FROM]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[r:SIGNED_UP_AT|USED_IP]->(e:IP)
  WITH a, e, sum(coalesce(r.sessions, 0)) AS sessions
  ORDER BY sessions DESC
  LIMIT $per_kind
  WITH a, e, COUNT { (e)<-[:USED_IP]-() } + COUNT { (e)<-[:SIGNED_UP_AT]-() } AS degree
  // Exact (an account may both sign up from and use an address) unless the address is very busy, where the
  // relationship degree (an upper bound, read in constant time) stands in.
  RETURN 'ip' AS kind, e.address AS id,
         CASE WHEN degree <= $exact_cap
              THEN COUNT { MATCH (e)<-[:SIGNED_UP_AT|USED_IP]-(b:Account) WHERE b <> a RETURN DISTINCT b }
              ELSE degree - 1 END AS others,
         COLLECT { MATCH (e)<-[:SIGNED_UP_AT|USED_IP]-(b:Account) WHERE b <> a
                   RETURN DISTINCT b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[r:USED_CLIENT]->(e:ClientFingerprint)
  WITH a, e, r ORDER BY r.sessions DESC LIMIT $per_kind
  RETURN 'client_fingerprint' AS kind, e.fingerprint AS id,
         COUNT { (e)<-[:USED_CLIENT]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:USED_CLIENT]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[r:USED_TEMPLATE]->(e:PromptTemplate)
  WITH a, e, r ORDER BY r.exchanges DESC LIMIT $per_kind
  // Sessions use templates too: prefer the account count ingest keeps on the template.
  RETURN 'template' AS kind, e.template_id AS id,
         CASE WHEN e.accounts IS NOT NULL THEN e.accounts ELSE COUNT { (e)<-[:USED_TEMPLATE]-(:Account) } END - 1
           AS others,
         COLLECT { MATCH (e)<-[:USED_TEMPLATE]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[:EMAIL_AT]->(e:EmailDomain)
  WHERE NOT coalesce(e.free, false)
  RETURN 'email_domain' AS kind, e.domain AS id,
         COUNT { (e)<-[:EMAIL_AT]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:EMAIL_AT]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
  UNION ALL
  MATCH (a)-[:BELONGS_TO]->(e:Organization)
  RETURN 'organization' AS kind, e.org_id AS id,
         COUNT { (e)<-[:BELONGS_TO]-() } - 1 AS others,
         COLLECT { MATCH (e)<-[:BELONGS_TO]-(b:Account) WHERE b <> a RETURN b {.account_id, .status} LIMIT $sample } AS sample
}
RETURN kind, id, others, sample
