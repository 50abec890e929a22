-- How many versions the history holds and a digest of (version, checksum) in version order: equal to the
-- files' own digest exactly when every file is applied unchanged (the nothing-to-do check, one row).
SELECT count(*),
       encode(sha256(convert_to(coalesce(string_agg(version || ':' || checksum, E'\n' ORDER BY version::numeric), ''),
                                'UTF8')), 'hex')
FROM {history}
