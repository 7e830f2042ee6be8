// Partner matching: the accounts that used each prompt template (by template id; SimHashes are resolved to
// template ids first, within the template grouping's Hamming distance), at most $max_accounts each.
UNWIND $values AS value
MATCH (e:PromptTemplate {template_id: value})
CALL (e) {
  MATCH (a:Account)-[:USED_TEMPLATE]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.template_id AS entity, account_id
