// The graph schema: one uniqueness constraint per natural id, created before the first write.
// Applied statement by statement (split on ';') by graph.schema.apply_schema; every statement is idempotent.
CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.account_id IS UNIQUE;
CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.org_id IS UNIQUE;
CREATE CONSTRAINT payment_fingerprint IF NOT EXISTS FOR (n:PaymentInstrument) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT billing_address_hash IF NOT EXISTS FOR (n:BillingAddress) REQUIRE n.hash IS UNIQUE;
CREATE CONSTRAINT billing_name_hash IF NOT EXISTS FOR (n:BillingName) REQUIRE n.hash IS UNIQUE;
CREATE CONSTRAINT device_fingerprint IF NOT EXISTS FOR (n:Device) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT client_fingerprint IF NOT EXISTS FOR (n:ClientFingerprint) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT ip_address IF NOT EXISTS FOR (n:IP) REQUIRE n.address IS UNIQUE;
CREATE CONSTRAINT subnet_prefix IF NOT EXISTS FOR (n:Subnet) REQUIRE n.prefix IS UNIQUE;
CREATE CONSTRAINT asn_number IF NOT EXISTS FOR (n:ASN) REQUIRE n.number IS UNIQUE;
CREATE CONSTRAINT email_domain IF NOT EXISTS FOR (n:EmailDomain) REQUIRE n.domain IS UNIQUE;
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:APIKey) REQUIRE n.key_id IS UNIQUE;
CREATE CONSTRAINT session_id IF NOT EXISTS FOR (n:Session) REQUIRE n.session_id IS UNIQUE;
CREATE CONSTRAINT prompt_template_id IF NOT EXISTS FOR (n:PromptTemplate) REQUIRE n.template_id IS UNIQUE;
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (n:Model) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT cluster_id IF NOT EXISTS FOR (n:Cluster) REQUIRE n.cluster_id IS UNIQUE;
CREATE CONSTRAINT drop_fingerprint IF NOT EXISTS FOR (n:Drop) REQUIRE n.fingerprint IS UNIQUE;
CREATE INDEX account_status IF NOT EXISTS FOR (n:Account) ON (n.status);
CREATE INDEX account_created IF NOT EXISTS FOR (n:Account) ON (n.created_at);
CREATE INDEX cluster_run IF NOT EXISTS FOR (n:Cluster) ON (n.run_id);
CREATE INDEX account_email IF NOT EXISTS FOR (n:Account) ON (n.email)
