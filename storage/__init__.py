"""Storage: database engine, tables, the connection repository and schema migrations."""
