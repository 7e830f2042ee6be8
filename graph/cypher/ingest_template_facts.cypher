// A template's exchange total and the number of accounts using it, from its account relationships.
UNWIND $ids AS id
MATCH (t:PromptTemplate {template_id: id})
CALL (t) {
  OPTIONAL MATCH (a:Account)-[r:USED_TEMPLATE]->(t)
  RETURN sum(r.exchanges) AS exchanges, count(DISTINCT a) AS accounts
}
SET t.exchanges = exchanges, t.accounts = accounts
