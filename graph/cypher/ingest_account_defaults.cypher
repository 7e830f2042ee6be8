// Accounts without any spend or exchange facts yet get zeros, so readers never meet a missing count.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
SET a.spend_usd = coalesce(a.spend_usd, 0.0)
WITH a
WHERE a.exchanges IS NULL
SET a.exchanges = 0, a.input_tokens = 0, a.output_tokens = 0, a.reasoning_exchanges = 0,
    a.cap_counts = [0, 0, 0, 0, 0, 0, 0, 0, 0], a.hours = [], a.hour_counts = []
