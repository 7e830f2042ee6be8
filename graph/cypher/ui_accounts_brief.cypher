// A short profile of each given account (tables of neighbours, entity holders and search hits).
UNWIND $account_ids AS account_id
MATCH (a:Account {account_id: account_id})
RETURN a.account_id AS account_id,
       a.email AS email,
       a.status AS status,
       a.plan AS plan,
       a.country AS country,
       a.created_at.epochMillis AS created_at__ms,
       a.status_changed_at.epochMillis AS status_changed_at__ms,
       a.last_seen.epochMillis AS last_seen__ms,
       coalesce(a.exchanges, 0) AS exchanges
