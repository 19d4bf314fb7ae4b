/**
 * EXPLAIN (ANALYZE, BUFFERS) of the hot statements against one cart of a (big) database, to show the indexes and
 * plans issue 14 asks for in bench/README.md:
 *
 *   node bench/explain.mjs --url=postgresql://postgres@127.0.0.1:5432/bench_... --cart=<cart uuid>
 *     [--module=bench/hot-statements.mjs] [--export=HOT_STATEMENTS]
 *
 * The statements come from a module's export: an array of SQL strings or of `{ name, sql, params?(context) }`,
 * or an object of name -> SQL. Without --module it takes bench/hot-statements.mjs's HOT_STATEMENTS when that file
 * exists, else bench/baseline.mjs's SQL (the statements the service sends today), so it follows the statements as
 * they change. Every statement runs in a transaction that is rolled back: writes are planned and executed, never
 * kept. Parameters: `params(context)` when the entry has one, else guessed from the column each `$n` is compared
 * with, then from its type (see `guess`), using the cart's own rows as the context.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'];
  }),
);

/** @returns {Promise<{ source: string, statements: { name: string, sql: string, params?: Function }[] }>} */
async function loadStatements() {
  let modulePath = flags.module;
  let exportName = flags.export;
  if (!modulePath) {
    const hot = path.join(ROOT, 'bench', 'hot-statements.mjs');
    [modulePath, exportName] = existsSync(hot)
      ? [hot, exportName ?? 'HOT_STATEMENTS']
      : [path.join(ROOT, 'bench', 'baseline.mjs'), exportName ?? 'SQL'];
  }
  const resolved = path.resolve(modulePath);
  const exported = (await import(pathToFileURL(resolved).href))[exportName ?? 'HOT_STATEMENTS'];
  if (!exported) throw new Error(`${resolved} exports no ${exportName}`);
  const entries = Array.isArray(exported)
    ? exported.map((entry, index) =>
        typeof entry === 'string'
          ? { name: `statement ${index + 1}`, sql: entry }
          : { name: `statement ${index + 1}`, ...entry },
      )
    : Object.entries(exported).map(([name, sql]) => ({ name, sql }));
  return { source: `${path.relative(ROOT, resolved)} (${exportName})`, statements: entries };
}

/** The cart's own rows: what the parameters are filled from. */
async function contextOf(client, cartId) {
  const {
    rows: [cart],
  } = await client.query('SELECT * FROM cart WHERE id = $1::uuid', [cartId]);
  if (!cart) throw new Error(`no cart ${cartId} in this database`);
  const { rows: items } = await client.query('SELECT * FROM cart_item WHERE cart_id = $1::uuid ORDER BY position', [
    cartId,
  ]);
  const {
    rows: [session],
  } = await client.query('SELECT * FROM klarna_session WHERE cart_id = $1::uuid AND live', [cartId]);
  const {
    rows: [authorization],
  } = await client.query(
    'SELECT * FROM klarna_authorization WHERE cart_id = $1::uuid ORDER BY created_at DESC LIMIT 1',
    [cartId],
  );
  const {
    rows: [order],
  } = await client.query('SELECT * FROM "order" WHERE cart_id = $1::uuid ORDER BY created_at DESC LIMIT 1', [cartId]);
  return { cart, items, session, authorization, order };
}

/** The value for `$n`: by the column it is compared with or assigned to, else by its type. */
function guess(sql, n, type, context) {
  const { cart, items, session, authorization, order } = context;
  const at = sql.search(new RegExp(`\\$${n}(?!\\d)`));
  const before = sql.slice(0, at);
  const column = /(\w+)"?\s*(?:=|<>|IN)\s*(?:ANY\s*\(\s*)?$/i.exec(before)?.[1]?.toLowerCase();
  const tables = [...before.matchAll(/\b(?:FROM|UPDATE|INTO|JOIN)\s+"?(\w+)"?/gi)];
  const table = tables.at(-1)?.[1]?.toLowerCase();
  const ids = {
    cart: cart.id,
    cart_item: items[0]?.id,
    klarna_session: session?.id,
    klarna_authorization: authorization?.id,
    order: order?.id,
  };
  const byColumn = {
    id: ids[table] ?? cart.id,
    cart_id: cart.id,
    klarna_session_id: session?.id,
    session_id: session?.session_id,
    currency: cart.purchase_currency,
    purchase_currency: cart.purchase_currency,
    country: cart.purchase_country,
    purchase_country: cart.purchase_country,
    version: cart.version,
    synced_version: cart.version,
    reference: type.endsWith('[]') ? items.map((item) => item.reference) : items[0]?.reference,
    quantity: items[0]?.quantity ?? 1,
  };
  if (column && byColumn[column] !== undefined) return byColumn[column];
  if (type === 'uuid') return cart.id;
  if (['integer', 'bigint', 'smallint', 'numeric'].includes(type)) return cart.version;
  if (type.endsWith('[]')) return items.map((item) => item.reference);
  if (type === 'boolean') return false;
  if (type === 'jsonb' || type === 'json') return '{}';
  if (type.startsWith('timestamp')) return new Date().toISOString();
  return 'bench';
}

async function main() {
  if (!flags.url || !flags.cart) {
    console.error(
      'usage: node bench/explain.mjs --url=<database URL> --cart=<cart uuid> [--module=<file>] [--export=<name>]',
    );
    process.exitCode = 2;
    return;
  }
  const { source, statements } = await loadStatements();
  const client = new pg.Client({ connectionString: flags.url });
  await client.connect();
  try {
    const context = await contextOf(client, flags.cart);
    const {
      rows: [{ server_version: version }],
    } = await client.query('SHOW server_version');
    const {
      rows: [{ carts }],
    } = await client.query('SELECT count(*)::int AS carts FROM cart');
    console.log(`EXPLAIN (ANALYZE, BUFFERS) of ${statements.length} statements from ${source}`);
    console.log(`PostgreSQL ${version}, ${carts} carts, cart ${flags.cart}\n`);
    for (const statement of statements) {
      await client.query('BEGIN');
      try {
        await client.query(`PREPARE bench_explain AS ${statement.sql}`);
        const {
          rows: [{ types }],
        } = await client.query(
          "SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = 'bench_explain'",
        );
        await client.query('DEALLOCATE bench_explain');
        const params = statement.params
          ? statement.params(context)
          : types.map((type, index) => guess(statement.sql, index + 1, type, context));
        const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, params);
        console.log(`-- ${statement.name}`);
        console.log(`-- ${statement.sql.replace(/\s+/g, ' ').trim()}`);
        if (params.length) console.log(`-- params: ${JSON.stringify(params)}`);
        console.log(rows.map((row) => row['QUERY PLAN']).join('\n'));
        console.log('');
      } catch (error) {
        console.log(`-- ${statement.name}: ${error.message}\n`);
      } finally {
        await client.query('ROLLBACK');
        await client.query('DEALLOCATE ALL');
      }
    }
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(`explain failed: ${error.stack ?? error}`);
  process.exitCode = 1;
});
