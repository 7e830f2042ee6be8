// An account's spend: the sum of the latest spend of each of its billing ids.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
CALL (a) {
  OPTIONAL MATCH (a)-[r:PAID_WITH]->(:PaymentInstrument)
  RETURN sum(r.spend_usd) AS spend
}
SET a.spend_usd = spend
