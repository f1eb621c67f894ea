"""Data layer: schema migrations, connection pool, tenant-scoped transactions and SQL modules."""
