// How many accounts the graph holds.
MATCH (a:Account) RETURN count(a) AS accounts
