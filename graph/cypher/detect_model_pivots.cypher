// Accounts whose first use of a new model came before $models[].until (epoch seconds): the fast movers.
UNWIND $models AS m
MATCH (:Model {name: m.name})<-[u:USED_MODEL]-(a:Account)
WHERE u.first_seen.epochSeconds < m.until
RETURN a.account_id AS account_id, m.name AS model, u.first_seen.epochSeconds AS first_seen
