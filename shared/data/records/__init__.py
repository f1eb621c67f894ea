"""SQL per API resource. Every function takes a connection already inside `tenant_transaction` (RLS scopes the
tenant) and, for customer callers, a `person_scope`: the person whose accounts the caller may see. Lists use keyset
pagination on `id` descending (`after` = last id seen)."""
