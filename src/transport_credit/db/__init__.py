"""Database layer: engine, unit of work, dialect helpers, migrations."""
