"""schemadb: raw-SQL PostgreSQL schema toolkit and migration runner.

The library API is in the modules (runner, migrations, db, ...); this file stays import-light so
that `schemadb --help` starts fast.
"""

__version__ = "0.1.0"
