// Members of a cluster with their profile and exchange totals (the member table, its CSV, the sign-up and ban
// timeline and the capability mix). Capped at $limit members. Times are epoch milliseconds (columns ending in
// __ms): decoding thousands of temporal values is the slowest part of reading a big cluster in the Python driver.
MATCH (:Cluster {cluster_id: $cluster_id})<-[m:MEMBER_OF]-(a:Account)
RETURN a.account_id AS account_id,
       a.email AS email,
       a.created_at.epochMillis AS created_at__ms,
       a.status AS status,
       a.status_changed_at.epochMillis AS status_changed_at__ms,
       a.plan AS plan,
       a.country AS country,
       a.org_id AS org_id,
       coalesce(a.exchanges, 0) AS exchanges,
       coalesce(a.reasoning_exchanges, 0) AS reasoning_exchanges,
       a.cap_counts AS cap_counts,
       a.first_seen.epochMillis AS first_seen__ms,
       coalesce(m.is_new, false) AS is_new
LIMIT $limit
