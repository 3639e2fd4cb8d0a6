/**
 * Schema migrations for a Durable Object's SQLite storage: each entry is one version's
 * statements; they run in order, once, and `schema_migrations` records which have run.
 */
export function runMigrations(
  sql: SqlStorage,
  migrations: readonly (readonly string[])[],
  now: number,
): void {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const applied = sql
    .exec<{ version: number }>("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
    .one().version;
  for (let version = applied + 1; version <= migrations.length; version++) {
    for (const statement of migrations[version - 1] as readonly string[]) sql.exec(statement);
    sql.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, now);
  }
}
