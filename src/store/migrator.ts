// A small numbered-migration runner. Each dialect lists its migrations as plain SQL; they run in
// one transaction under a lock (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE), so opening the
// same database twice, or from two processes at once, applies each migration exactly once.

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS_TABLE = "synergymesh_migrations";

export function checkMigrations(migrations: Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}
