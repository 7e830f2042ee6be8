// Everything cluster features and evidence need about the given accounts, one row per account.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN
  a.account_id AS account_id,
  a.created_at.epochSeconds AS created_at,
  a.status AS status,
  a.status_changed_at.epochSeconds AS status_changed_at,
  a.org_id AS org_id,
  a.plan AS plan,
  head([(a)-[:EMAIL_AT]->(d:EmailDomain) | {id: d.domain, free: coalesce(d.free, false)}]) AS email,
  coalesce(a.exchanges, 0) AS exchanges,
  coalesce(a.reasoning_exchanges, 0) AS reasoning_exchanges,
  coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) AS tokens,
  a.cap_counts AS cap_counts,
  a.hours AS hours,
  a.hour_counts AS hour_counts,
  [(a)-[p:PAID_WITH]->(i:PaymentInstrument) |
    {id: i.fingerprint, method: coalesce(p.method, i.method), issuer: i.issuer_country, bin: i.card_bin,
     degree: COUNT { (i)<-[:PAID_WITH]-() }}] AS payments,
  [(a)-[:BILLED_AT]->(b:BillingAddress) |
    {id: b.hash, country: b.country, postal: b.postal, degree: COUNT { (b)<-[:BILLED_AT]-() }}] AS addresses,
  [(a)-[:BILLED_AS]->(n:BillingName) | {id: n.hash, degree: COUNT { (n)<-[:BILLED_AS]-() }}] AS names,
  [(a)-[:SIGNED_UP_FROM]->(d:Device) | {id: d.fingerprint, degree: COUNT { (d)<-[:SIGNED_UP_FROM]-() }}] AS devices,
  [(a)-[:SIGNED_UP_AT]->(ip:IP) | ip.address] AS signup_ips,
  [(a)-[u:USED_IP]->(ip:IP) |
    {id: ip.address, sessions: coalesce(u.sessions, 0), degree: COUNT { (ip)<-[:USED_IP]-() },
     subnet: head([(ip)-[:IN]->(s:Subnet) | s.prefix]),
     asn: head([(ip)-[:IN]->(:Subnet)-[:IN]->(n:ASN) | {number: n.number, name: n.name, type: n.type}])}] AS ips,
  [(a)-[u:USED_CLIENT]->(c:ClientFingerprint) |
    {id: c.fingerprint, sessions: coalesce(u.sessions, 0), degree: COUNT { (c)<-[:USED_CLIENT]-() }}] AS clients,
  [(a)-[u:USED_TEMPLATE]->(t:PromptTemplate) |
    {id: t.template_id, exchanges: coalesce(u.exchanges, 0), degree: coalesce(t.accounts, 0)}] AS templates,
  [(a)-[u:USED_MODEL]->(m:Model) |
    {id: m.name, exchanges: coalesce(u.exchanges, 0), first_seen: u.first_seen.epochSeconds}] AS models
