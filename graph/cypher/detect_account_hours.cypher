// Active UTC hour buckets (epoch seconds // 3600) of the given accounts.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
WHERE a.hours IS NOT NULL AND size(a.hours) > 0
RETURN a.account_id AS account_id, a.hours AS hours
