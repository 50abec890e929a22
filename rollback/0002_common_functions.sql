-- Rollback of 0002 common_functions.
DROP FUNCTION core.ensure_monthly_partitions(regclass, integer, integer);
DROP FUNCTION core.create_monthly_partition(regclass, date);
DROP FUNCTION core.decrypt_sensitive(bytea);
DROP FUNCTION core.encrypt_sensitive(text);
DROP FUNCTION core.current_agent_id();
DROP FUNCTION core.current_user_id();
DROP FUNCTION core.current_org_id();
DROP FUNCTION core.set_updated_at();
