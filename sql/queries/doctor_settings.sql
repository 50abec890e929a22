SELECT name, setting, unit, current_setting(name) AS display
  FROM pg_settings
 WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_connections',
                'autovacuum', 'autovacuum_vacuum_insert_scale_factor', 'wal_level', 'archive_mode', 'archive_command',
                'jit', 'shared_preload_libraries')
