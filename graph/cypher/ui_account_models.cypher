// Models an account used, with exchanges, first and last use and the model's release time.
MATCH (a:Account {account_id: $account_id})-[u:USED_MODEL]->(m:Model)
RETURN m.name AS model,
       m.released_at.epochMillis AS released_at__ms,
       coalesce(u.exchanges, 0) AS exchanges,
       u.first_seen.epochMillis AS first_seen__ms,
       u.last_seen.epochMillis AS last_seen__ms
ORDER BY first_seen__ms, model
