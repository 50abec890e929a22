-- The latest unfinished run of each no-transaction file that has not completed: where to resume.
SELECT DISTINCT ON (version, action) id, version, action, checksum, outcome, statements_done, done_checksum, error
FROM {log}
WHERE NOT transactional AND action IN ('apply', 'rollback')
ORDER BY version, action, id DESC
