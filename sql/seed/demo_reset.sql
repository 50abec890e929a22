-- `schemadb seed --demo --reset`: delete the demo data set before it is loaded again (map §8.2).
-- The organization's rows cascade; audit rows are immutable and stay.
DELETE FROM core.organizations WHERE id = 'de000000-0000-4000-8000-000000000001';
DELETE FROM core.users WHERE id IN ('de000000-0000-4000-8000-000000000011', 'de000000-0000-4000-8000-000000000012',
                                    'de000000-0000-4000-8000-000000000013');
DELETE FROM core.mcp_servers WHERE id IN ('de000000-0000-4000-8000-000000000041', 'de000000-0000-4000-8000-000000000042');
DELETE FROM config.system_prompts WHERE id = 'de000000-0000-4000-8000-0000000000cf';
DELETE FROM config.system_configuration WHERE id = 'de000000-0000-4000-8000-0000000000d2';
DELETE FROM metrics.performance_metrics WHERE organization_id = 'de000000-0000-4000-8000-000000000001';
DELETE FROM metrics.usage_metrics WHERE organization_id = 'de000000-0000-4000-8000-000000000001';
DELETE FROM metrics.system_health_metrics WHERE id IN ('de000000-0000-4000-8000-0000000000e8', 'de000000-0000-4000-8000-0000000000e9');
