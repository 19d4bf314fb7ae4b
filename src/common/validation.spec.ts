import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation.js';

describe('flattenValidationErrors', () => {
  it('names nested fields by path and gives the most basic reason once per field', () => {
    const errors = [
      {
        property: 'unitPrice',
        constraints: {
          max: 'unitPrice must not be greater than 100000000',
          isInt: 'unitPrice must be an integer number',
        },
        children: [],
      },
      {
        property: 'orderLines',
        children: [
          {
            property: '0',
            children: [
              { property: 'quantity', constraints: { min: 'quantity must not be less than 1' }, children: [] },
            ],
          },
        ],
      },
      { property: 'colour', constraints: { whitelistValidation: 'property colour should not exist' }, children: [] },
      // An empty key (found by the fuzz test) is refused in the same words.
      { property: '', constraints: { whitelistValidation: 'property  should not exist' }, children: [] },
    ] as ValidationError[];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'unitPrice', message: 'must be an integer number' },
      { field: 'orderLines[0].quantity', message: 'must not be less than 1' },
      { field: 'colour', message: 'is not allowed' },
      { field: '', message: 'is not allowed' },
    ]);
  });
});
