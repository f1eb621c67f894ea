-- Monthly partitions for the partitioned tables, 2024 through 2027; the daily maintenance timer keeps
-- creating the months ahead (shared.application.maintenance).
SELECT ensure_month_partitions('meter_readings', '2024-01-01', '2028-01-01');
SELECT ensure_month_partitions('domain_events', '2024-01-01', '2028-01-01');
