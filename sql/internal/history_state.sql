-- Whether the history and log tables exist, and whether the log has the columns of this version.
SELECT to_regclass({history_text}) IS NOT NULL,
       to_regclass({log_text}) IS NOT NULL,
       EXISTS (SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass({log_text}) AND attname = 'notes' AND NOT attisdropped)
