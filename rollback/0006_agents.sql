-- Rollback of 0006 agents.
DROP TABLE core.context_vectors;
DROP TABLE core.agent_sessions;
DROP TABLE core.mcp_servers;
DROP TABLE core.agent_status_history;
DROP TABLE core.agents;
DROP FUNCTION core.record_agent_status_change();
