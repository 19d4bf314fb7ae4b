import { Param, ValidationPipe, type PipeTransform, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from './errors.js';
import { speedUpClassValidatorLookups } from './class-validator-lookups.js';

/** The one global ValidationPipe: unknown fields refused, payloads turned into their DTO classes. */
export function createValidationPipe(): ValidationPipe {
  speedUpClassValidatorLookups();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}

/** When a field breaks several rules, the most basic one is the clearest reason (a string price is not "too large"). */
const CONSTRAINT_PRIORITY = [
  'whitelistValidation',
  'isDefined',
  'isString',
  'isInt',
  'isIn',
  'isEmail',
  'isUrl',
  'matches',
];

function priorityOf(constraint: string): number {
  const index = CONSTRAINT_PRIORITY.indexOf(constraint);
  return index === -1 ? CONSTRAINT_PRIORITY.length : index;
}

/** One error per field, named by its path (`billingAddress.email`, `orderLines[0].quantity`). */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field =
      parent === ''
        ? error.property
        : /^\d+$/.test(error.property)
          ? `${parent}[${error.property}]`
          : `${parent}.${error.property}`;
    const constraints = error.constraints ?? {};
    const [mostBasic] = Object.keys(constraints).sort((a, b) => priorityOf(a) - priorityOf(b));
    const own = (mostBasic ? [constraints[mostBasic]] : []).map((message) => ({
      field,
      message: message
        .replace(/^property (\S*) should not exist$/, 'is not allowed')
        .replace(new RegExp(`^${escapeRegExp(error.property)} `), ''),
    }));
    return own.concat(flattenValidationErrors(error.children ?? [], field));
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A path parameter that must be a UUID; anything else is a 400 naming the parameter. */
export function UuidParam(name: string): ParameterDecorator {
  return Param(name, { transform: (value: unknown) => checkedUuid(value, name) });
}

/**
 * What Nest's ParseUUIDPipe accepts (any version 1 to 8, the nil and the max UUID), checked synchronously: its
 * pipe is async, and the storefront's hottest routes (direct-routes.ts) check two per request (issue 14).
 */
const UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

/** The value when it is a UUID, else a 400 naming the parameter. Also used by the direct routes. */
export function checkedUuid(value: unknown, name: string): string {
  if (typeof value !== 'string' || !UUID.test(value))
    throw new ValidationFailedError([{ field: name, message: 'must be a UUID' }]);
  return value;
}

/** A path parameter checked by a pattern; anything else is a 400 naming the parameter. */
export function PatternParam(name: string, pattern: RegExp, rule: string, maxLength: number): ParameterDecorator {
  const pipe: PipeTransform<string, string> = {
    transform(value: string) {
      if (value.length > maxLength || !pattern.test(value)) {
        throw new ValidationFailedError([{ field: name, message: rule }]);
      }
      return value;
    },
  };
  return Param(name, pipe);
}
