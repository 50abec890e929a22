-- Rollback of 0009 agent_outputs_messages.
DROP TABLE core.message_queue;
DROP TABLE core.agent_messages;
DROP TABLE core.agent_outputs;
