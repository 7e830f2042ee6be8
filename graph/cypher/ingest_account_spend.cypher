// An account's spend: the sum of the latest spend of each of its billing ids (rounded to 6 decimals, so the
// order the sum meets them in never shows).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
CALL (a) {
  OPTIONAL MATCH (a)-[r:PAID_WITH]->()
  RETURN round(sum(r.spend_usd), 6) AS spend
}
SET a.spend_usd = spend
