import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { testDatabaseUrl } from '../support/test-database.js';

/**
 * Proves the hand-kept migrations build exactly the tables schema.prisma describes. Prisma's own diff
 * needs the native schema engine, so this reads schema.prisma with a small parser of the subset we use.
 */
interface SchemaColumn {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
}

const SCALAR_TYPES: Record<string, string> = {
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  Json: 'jsonb',
  String: 'text',
  DateTime: 'timestamp(3) without time zone',
};

function parseSchema(text: string): { columns: SchemaColumn[]; uniqueIndexes: string[] } {
  const enums = new Set([...text.matchAll(/^enum (\w+) \{/gm)].map((match) => match[1]));
  const models = [...text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)];
  const modelNames = new Set(models.map((match) => match[1]));
  const columns: SchemaColumn[] = [];
  const uniqueIndexes: string[] = [];
  for (const [, , body] of models) {
    const table = /@@map\("(\w+)"\)/.exec(body)?.[1];
    if (!table) throw new Error('every model maps to a snake_case table');
    for (const line of body.split('\n').map((text) => text.trim())) {
      const field = /^(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/.exec(line);
      if (!field || line.startsWith('@@')) continue;
      const [, name, type, modifier, attributes] = field;
      if (modelNames.has(type)) continue;
      const column = /@map\("(\w+)"\)/.exec(attributes)?.[1] ?? name;
      columns.push({ table, column, type: columnType(type, attributes, enums), nullable: modifier === '?' });
      if (/@unique\b/.test(attributes)) uniqueIndexes.push(`${table}(${column})`);
    }
    for (const [, fields] of body.matchAll(/@@unique\(\[([^\]]+)\]\)/g)) {
      const names = fields.split(',').map((text) => text.trim());
      const mapped = names.map(
        (name) => new RegExp(`^\\s*${name}\\s.*@map\\("(\\w+)"\\)`, 'm').exec(body)?.[1] ?? name,
      );
      uniqueIndexes.push(`${table}(${mapped.join(',')})`);
    }
  }
  return { columns, uniqueIndexes };
}

function columnType(type: string, attributes: string, enums: Set<string>): string {
  if (enums.has(type)) return type;
  const varchar = /@db\.VarChar\((\d+)\)/.exec(attributes);
  if (varchar) return `character varying(${varchar[1]})`;
  if (/@db\.Uuid/.test(attributes)) return 'uuid';
  const timestamp = /@db\.Timestamptz\((\d+)\)/.exec(attributes);
  if (timestamp) return `timestamp(${timestamp[1]}) with time zone`;
  const scalar = SCALAR_TYPES[type];
  if (!scalar) throw new Error(`schema-drift test does not know type ${type}`);
  return scalar;
}

/**
 * Unique indexes with a WHERE clause, which schema.prisma cannot express (prisma/prisma#3076): the money rules
 * they carry are declared here and in the schema's comments, and the migrations must build exactly these.
 */
const PARTIAL_UNIQUE_INDEXES = [
  `order(cart_id) WHERE (status <> 'failed'::"OrderStatus")`,
  'klarna_session(cart_id) WHERE live',
];

describe('migrations match schema.prisma', () => {
  const schema = parseSchema(readFileSync('prisma/schema.prisma', 'utf8'));

  it('parses the schema (guards the parser itself)', () => {
    expect(schema.columns).toContainEqual({
      table: 'cart_item',
      column: 'unit_price',
      type: 'integer',
      nullable: false,
    });
    expect(schema.columns).toContainEqual({ table: 'cart', column: 'customer', type: 'jsonb', nullable: true });
    expect(schema.uniqueIndexes).toContain('order(klarna_order_id)');
  });

  it('has every model field as a column with its type and nullability, and no column the schema lacks', async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<SchemaColumn>(`
        SELECT c.table_name AS table, c.column_name AS column, c.is_nullable = 'YES' AS nullable,
               CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name
                    ELSE format_type(a.atttypid, a.atttypmod) END AS type
        FROM information_schema.columns c
        JOIN pg_attribute a ON a.attrelid = format('public.%I', c.table_name)::regclass AND a.attname = c.column_name
        WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`);
      const sort = (list: SchemaColumn[]) =>
        [...list].sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
      expect(sort(rows)).toEqual(sort(schema.columns));
    } finally {
      await client.end();
    }
  });

  it('has every unique index the schema declares', async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ index: string; partial: string | null }>(`
        SELECT t.relname || '(' || string_agg(a.attname, ',' ORDER BY k.ordinality) || ')' AS index,
               pg_get_expr(i.indpred, i.indrelid) AS partial
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE i.indisunique AND NOT i.indisprimary AND t.relname <> '_prisma_migrations'
        GROUP BY i.indexrelid, t.relname, i.indpred`);
      const full = rows.filter((row) => !row.partial).map((row) => row.index);
      const partial = rows.filter((row) => row.partial).map((row) => `${row.index} WHERE ${row.partial}`);
      expect(full.sort()).toEqual([...schema.uniqueIndexes].sort());
      expect(partial.sort()).toEqual([...PARTIAL_UNIQUE_INDEXES].sort());
    } finally {
      await client.end();
    }
  });
});
