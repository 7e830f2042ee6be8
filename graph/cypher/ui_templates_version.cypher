// A cheap fingerprint of the template set (it changes whenever ingest adds, extends or merges templates), so a
// search can reuse the member fingerprints it read last time.
MATCH (t:PromptTemplate)
RETURN count(t) AS templates, sum(coalesce(t.exchanges, 0)) AS exchanges, max(t.template_id) AS last,
       sum(size(coalesce(t.members, []))) AS members
