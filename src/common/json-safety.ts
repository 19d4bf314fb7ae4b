import type { FieldError } from './errors.js';

/** Deepest nesting a request body may have; our deepest DTO (customer -> address) is 3 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * The first value in a parsed JSON document that the service must refuse before anything else reads it:
 * nesting deeper than MAX_JSON_DEPTH (class-transformer recurses once per level, so a body nested 60 000 deep
 * would overflow its stack), a NUL character (PostgreSQL's text and jsonb cannot store U+0000) or a lone UTF-16
 * surrogate (not Unicode; PostgreSQL refuses it in jsonb and Klarna in JSON). Keys are checked like values.
 * Iterative, so the check itself never overflows. The field is named by its path (`billingAddress.email`,
 * `orderLines[0].name`; `body` for the document itself).
 */
export function findUnsafeJson(document: unknown, rootName = 'body'): FieldError | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: document, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) return { field: path || rootName, message: problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      return { field: path || rootName, message: `must not be nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const children: { value: unknown; path: string; depth: number }[] = [];
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        children.push({ value: item, path: `${path || rootName}[${index}]`, depth: depth + 1 }),
      );
    } else {
      for (const [key, item] of Object.entries(value)) {
        const childPath = path === '' ? printableKey(key) : `${path}.${printableKey(key)}`;
        const keyProblem = stringProblem(key);
        if (keyProblem) return { field: childPath, message: `name ${keyProblem}` };
        children.push({ value: item, path: childPath, depth: depth + 1 });
      }
    }
    // Reversed, so the first problem in document order is the one reported.
    for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
  }
  return undefined;
}

function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** A key as it can be shown back in an error body and a log line. */
function printableKey(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').toWellFormed();
}
