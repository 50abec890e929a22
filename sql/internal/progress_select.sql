-- The latest run of each no-transaction file (by version and name): where an unfinished one resumes.
SELECT DISTINCT ON (version, name, action) id, version, name, action, checksum, outcome, statements_done,
       done_checksum, error, logged_at
FROM {log}
WHERE NOT transactional AND action IN ('apply', 'rollback')
ORDER BY version, name, action, id DESC
