// Facts about the given accounts as the graph holds them now: enforcement status, sign-up time, email domain,
// exchange totals. Used to freeze a case's evidence and, later, to show what has changed since (bans).
UNWIND $account_ids AS account_id
MATCH (a:Account {account_id: account_id})
OPTIONAL MATCH (a)-[:EMAIL_AT]->(d:EmailDomain)
RETURN a.account_id AS account_id,
       a.status AS status,
       a.status_changed_at AS status_changed_at,
       a.created_at AS created_at,
       a.plan AS plan,
       a.country AS country,
       a.org_id AS org_id,
       d.domain AS email_domain,
       coalesce(a.exchanges, 0) AS exchanges
ORDER BY account_id
