import { describe, expect, it } from '@jest/globals';
import { IsInt, IsString, Min, getFromContainer, getMetadataStorage, validateSync } from 'class-validator';
import { speedUpClassValidatorLookups } from './class-validator-lookups.js';

class Line {
  @IsString()
  reference!: string;
}

class PricedLine extends Line {
  @IsInt()
  @Min(1, { groups: ['strict'] })
  quantity!: number;
}

speedUpClassValidatorLookups();
speedUpClassValidatorLookups();

const line = (reference: unknown, quantity: unknown) => Object.assign(new PricedLine(), { reference, quantity });
const failed = (object: object, groups?: string[]) =>
  validateSync(object, groups ? { groups } : {}).map(
    (error) => `${error.property}: ${Object.keys(error.constraints ?? {})}`,
  );

describe('speedUpClassValidatorLookups', () => {
  it('keeps one instance per constraint class, made on first use', () => {
    class Constraint {}
    class Other {}
    const constraint = getFromContainer(Constraint);
    expect(constraint).toBeInstanceOf(Constraint);
    expect(getFromContainer(Constraint)).toBe(constraint);
    expect(getFromContainer(Other)).toBeInstanceOf(Other);
  });

  it('answers a second lookup of the same class and options from memory', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(PricedLine, '', false, false);
    expect(storage.getTargetValidationMetadatas(PricedLine, '', false, false)).toBe(first);
    expect(storage.getTargetValidationMetadatas(PricedLine, '', false, false, ['strict'])).not.toBe(first);
  });

  it('applies the same rules as before, inherited ones included, with and without groups, every time', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(failed(line('SKU-1', 2))).toEqual([]);
      expect(failed(line(7, 'two'))).toEqual(['quantity: min,isInt', 'reference: isString']);
      expect(failed(line(7, 0), ['strict'])).toEqual(['quantity: min']);
      expect(failed(line(7, 0), ['other'])).toEqual(['undefined: unknownValue']);
    }
  });
});
