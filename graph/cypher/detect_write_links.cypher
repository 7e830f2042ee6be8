// Write one batch of weighted account-to-account links: rows of {a, b, weight, kinds}.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.a})
MATCH (b:Account {account_id: row.b})
CREATE (a)-[:LINKED {weight: row.weight, kinds: row.kinds}]->(b)
