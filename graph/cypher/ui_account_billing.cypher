// One account's billing: payment instruments (with how many accounts use each), billing addresses and names.
MATCH (a:Account {account_id: $account_id})
CALL (a) {
  MATCH (a)-[r:PAID_WITH]->(e:PaymentInstrument)
  RETURN 'payment_instrument' AS kind, e.fingerprint AS id, e.method AS method, e.card_bin AS card_bin,
         e.issuer_country AS country, r.billing_id AS billing_id, r.created_at.epochMillis AS created_at__ms,
         r.spend_usd AS spend_usd, null AS postal, COUNT { (e)<-[:PAID_WITH]-() } AS accounts
  UNION ALL
  MATCH (a)-[:BILLED_AT]->(e:BillingAddress)
  RETURN 'billing_address' AS kind, e.hash AS id, null AS method, null AS card_bin, e.country AS country,
         null AS billing_id, null AS created_at__ms, null AS spend_usd, e.postal AS postal,
         COUNT { (e)<-[:BILLED_AT]-() } AS accounts
  UNION ALL
  MATCH (a)-[:BILLED_AS]->(e:BillingName)
  RETURN 'billing_name' AS kind, e.hash AS id, null AS method, null AS card_bin, null AS country,
         null AS billing_id, null AS created_at__ms, null AS spend_usd, null AS postal,
         COUNT { (e)<-[:BILLED_AS]-() } AS accounts
}
RETURN kind, id, method, card_bin, country, billing_id, created_at__ms, spend_usd, postal, accounts
ORDER BY kind, created_at__ms, id
LIMIT $limit
