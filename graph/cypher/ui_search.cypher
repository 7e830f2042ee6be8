// Exact look-ups of a search term in every indexed natural id: accounts (id, email, API key, session), IPs,
// subnets, ASNs, payment, device and client fingerprints, billing hashes, templates, email domains, orgs.
// $terms holds the term as typed and its normalised forms (lower case, canonical IP); $number is it as an
// integer or null.
CALL () {
  UNWIND $terms AS t
  MATCH (a:Account {account_id: t})
  RETURN 'account' AS kind, a.account_id AS id, 'account id' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (a:Account {email: t})
  RETURN 'account' AS kind, a.account_id AS id, 'email' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (:APIKey {key_id: t})<-[:HAS_KEY]-(a:Account)
  RETURN 'account' AS kind, a.account_id AS id, 'API key' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (:Session {session_id: t})<-[:HAD_SESSION]-(a:Account)
  RETURN 'account' AS kind, a.account_id AS id, 'session' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:IP {address: t})
  RETURN 'ip' AS kind, e.address AS id, 'IP address' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:Subnet {prefix: t})
  RETURN 'subnet' AS kind, e.prefix AS id, 'subnet' AS matched
  UNION
  MATCH (e:ASN {number: $number})
  RETURN 'asn' AS kind, toString(e.number) AS id, 'ASN' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:PaymentInstrument {fingerprint: t})
  RETURN 'payment_instrument' AS kind, e.fingerprint AS id, 'payment fingerprint' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:Device {fingerprint: t})
  RETURN 'device' AS kind, e.fingerprint AS id, 'sign-up device' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:ClientFingerprint {fingerprint: t})
  RETURN 'client_fingerprint' AS kind, e.fingerprint AS id, 'client fingerprint' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:BillingAddress {hash: t})
  RETURN 'billing_address' AS kind, e.hash AS id, 'billing address' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:BillingName {hash: t})
  RETURN 'billing_name' AS kind, e.hash AS id, 'billing name' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:PromptTemplate {template_id: t})
  RETURN 'template' AS kind, e.template_id AS id, 'template id' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:EmailDomain {domain: t})
  RETURN 'email_domain' AS kind, e.domain AS id, 'email domain' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:Organization {org_id: t})
  RETURN 'organization' AS kind, e.org_id AS id, 'organisation' AS matched
  UNION
  UNWIND $terms AS t
  MATCH (e:Model {name: t})
  RETURN 'model' AS kind, e.name AS id, 'model' AS matched
}
RETURN kind, id, matched
LIMIT $limit
