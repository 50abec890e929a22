-- Rollback of 0010 testing_knowledge.
DROP TABLE core.knowledge_entries;
DROP TABLE core.code_coverage;
DROP TABLE core.test_results;
DROP TABLE core.test_suites;
