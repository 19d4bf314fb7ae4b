/**
 * Names for parameterised statements (Prisma's through its adapter, `prefix` "prisma"; the repositories' plain SQL on
 * node-postgres, "sql", src/database/sql.ts), one per SQL text, so that each pool connection prepares a statement
 * once: PostgreSQL then skips parsing it again and, after a few runs, planning it (issue 14: a checkout flow sent
 * about 40 Prisma statements, each parsed and planned anew). Statements without parameters stay unnamed: node-postgres
 * sends those as simple queries, which may hold several statements, and a name would turn them into one prepared
 * statement. Past `limit` distinct texts, new ones stay unnamed, so the per-connection statement cache is bounded.
 */
export function preparedStatementNames(
  prefix: string,
  limit = 2000,
): (query: { sql: string; args: unknown[] }) => string | undefined {
  const names = new Map<string, string>();
  return ({ sql, args }) => {
    if (args.length === 0) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < limit) {
      name = `${prefix}_${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}
