// Every model with its declared release time and its first observed use, to find the new ones.
MATCH (m:Model)
OPTIONAL MATCH (m)<-[u:USED_MODEL]-(:Account)
WITH m, min(u.first_seen) AS first_use, count(u) AS accounts
RETURN m.name AS model, m.released_at.epochSeconds AS released_at, first_use.epochSeconds AS first_use, accounts
