import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { serveDirectly } from './direct-routes.js';

describe('serveDirectly', () => {
  it('runs the direct handler instead of the one the route was registered with', async () => {
    const fastify = Fastify();
    serveDirectly(fastify, [{ method: 'GET', url: '/things/:id', handle: async () => ({ served: 'directly' }) }]);
    fastify.get('/things/:id', async () => ({ served: 'by the router' }));
    fastify.get('/others/:id', async () => ({ served: 'by the router' }));
    const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${base}/things/1`)).json()).toEqual({ served: 'directly' });
      expect(await (await fetch(`${base}/others/1`)).json()).toEqual({ served: 'by the router' });
    } finally {
      await fastify.close();
    }
  });

  it('refuses to start when no route matches one named (a renamed path must not fall back silently)', async () => {
    const fastify = Fastify();
    serveDirectly(fastify, [{ method: 'GET', url: '/things/:id', handle: async () => null }]);
    fastify.get('/things/:thingId', async () => null);
    await expect(fastify.ready()).rejects.toThrow('No controller registers GET /things/:id');
  });
});
