import { getMetadataStorage } from 'class-validator';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type Lookup = MetadataStorage['getTargetValidationMetadatas'];
type Metadatas = ReturnType<Lookup>;

const MEMOIZED = Symbol.for('klarna-bff.validation-metadata-memoized');

/**
 * class-validator looks up a class's rules on every `validate()` by scanning every decorated class in the process
 * for ancestors (typestack/class-validator#2686, open): on a cart change that was the largest allocation after `pg`'s
 * (3.3 KB of about 110 KB). A class's rules, its inherited ones included, are all registered when its module loads,
 * before anything can validate it, so the answer is kept per class and lookup options. Written here because
 * class-validator has no option for it; twentyhq/twenty#24085 does the same.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [MEMOIZED]?: true };
  if (marked[MEMOIZED]) return;
  marked[MEMOIZED] = true;
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const byClass = new WeakMap<object, Map<string, Metadatas>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let known = byClass.get(target);
    if (!known) byClass.set(target, (known = new Map()));
    let metadatas = known.get(options);
    if (!metadatas) known.set(options, (metadatas = lookUp(target, schema, always, strictGroups, groups)));
    return metadatas;
  };
}
