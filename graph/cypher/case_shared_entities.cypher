// Indicators of a case: the entities (payment fingerprints, sign-up devices, client builds, IPs, subnets, prompt
// templates, non-free email domains) that at least $min_accounts of the given accounts share, with how many accounts of
// the whole graph use each one (a card used only by the case's accounts is a strong indicator; a campus NAT
// address used by thousands is a weak one). Accounts are counted once however many relationships they have.
UNWIND $account_ids AS account_id
MATCH (a:Account {account_id: account_id})
CALL (a) {
  MATCH (a)-[:PAID_WITH]->(n:PaymentInstrument)
  RETURN 'payment_fingerprint' AS kind, n
  UNION
  MATCH (a)-[:SIGNED_UP_FROM]->(n:Device)
  RETURN 'device' AS kind, n
  UNION
  MATCH (a)-[:USED_CLIENT]->(n:ClientFingerprint)
  RETURN 'client_fingerprint' AS kind, n
  UNION
  MATCH (a)-[:SIGNED_UP_AT|USED_IP]->(n:IP)
  RETURN 'ip' AS kind, n
  UNION
  MATCH (a)-[:SIGNED_UP_AT|USED_IP]->(:IP)-[:IN]->(n:Subnet)
  RETURN 'subnet' AS kind, n
  UNION
  MATCH (a)-[:USED_TEMPLATE]->(n:PromptTemplate)
  RETURN 'prompt_template' AS kind, n
  UNION
  MATCH (a)-[:EMAIL_AT]->(n:EmailDomain)
  WHERE NOT coalesce(n.free, false)
  RETURN 'email_domain' AS kind, n
}
WITH kind, n, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= $min_accounts
RETURN kind,
       CASE kind
         WHEN 'payment_fingerprint' THEN n.fingerprint
         WHEN 'device' THEN n.fingerprint
         WHEN 'client_fingerprint' THEN n.fingerprint
         WHEN 'ip' THEN n.address
         WHEN 'subnet' THEN n.prefix
         WHEN 'prompt_template' THEN coalesce(n.fingerprint, n.template_id)
         ELSE n.domain
       END AS value,
       CASE kind WHEN 'prompt_template' THEN n.template_id ELSE null END AS template_id,
       accounts,
       CASE kind
         WHEN 'payment_fingerprint' THEN COUNT { MATCH (x:Account)-[:PAID_WITH]->(n) RETURN DISTINCT x }
         WHEN 'device' THEN COUNT { MATCH (x:Account)-[:SIGNED_UP_FROM]->(n) RETURN DISTINCT x }
         WHEN 'client_fingerprint' THEN COUNT { MATCH (x:Account)-[:USED_CLIENT]->(n) RETURN DISTINCT x }
         WHEN 'ip' THEN COUNT { MATCH (x:Account)-[:SIGNED_UP_AT|USED_IP]->(n) RETURN DISTINCT x }
         WHEN 'subnet' THEN COUNT { MATCH (x:Account)-[:SIGNED_UP_AT|USED_IP]->(:IP)-[:IN]->(n) RETURN DISTINCT x }
         WHEN 'prompt_template' THEN COUNT { MATCH (x:Account)-[:USED_TEMPLATE]->(n) RETURN DISTINCT x }
         ELSE COUNT { MATCH (x:Account)-[:EMAIL_AT]->(n) RETURN DISTINCT x }
       END AS accounts_total
ORDER BY kind, value
