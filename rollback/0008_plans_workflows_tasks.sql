-- Rollback of 0008 plans_workflows_tasks.
DROP TABLE core.task_messages;
DROP TABLE core.task_results;
DROP TABLE core.task_dependencies;
DROP TABLE core.tasks;
DROP TABLE core.workflow_executions;
DROP TABLE core.workflows;
DROP TABLE core.plans;
DROP FUNCTION core.reject_task_dependency_cycle();
DROP FUNCTION core.default_task_complexity();
DROP FUNCTION core.validate_task_status_transition();
