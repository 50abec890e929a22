-- Rollback of 0007 github.
DROP TABLE core.github_pull_requests;
DROP TABLE core.github_issues;
DROP TABLE core.github_repositories;
