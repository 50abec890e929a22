-- Rollback of 0005 config_reference (the reference rows go with their tables).
DROP TABLE config.system_prompts;
DROP TABLE config.user_configuration;
DROP TABLE config.system_configuration;
DROP TABLE config.mcp_server_types;
DROP TABLE config.agent_capabilities;
DROP TABLE config.task_types;
DROP DOMAIN config.agent_type;
