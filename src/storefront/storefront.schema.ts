import type { SchemaObject } from '../docs/schema-object.js';

export const STOREFRONT_CONFIG_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['klarnaSdkUrl', 'markets'],
  properties: {
    klarnaSdkUrl: { type: 'string', example: 'https://x.klarnacdn.net/kp/lib/v1/api.js' },
    markets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['country', 'currency', 'locale', 'label'],
        properties: {
          country: { type: 'string', example: 'SE' },
          currency: { type: 'string', example: 'SEK' },
          locale: { type: 'string', example: 'sv-SE' },
          label: { type: 'string', example: 'Sweden (SEK)' },
        },
      },
    },
  },
};
