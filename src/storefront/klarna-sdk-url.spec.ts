import { describe, expect, it } from '@jest/globals';
import { KLARNA_CDN_SDK_URL, klarnaSdkUrl } from './klarna-sdk-url.js';

describe('klarnaSdkUrl', () => {
  it("loads Klarna's CDN SDK for Klarna's own API hosts", () => {
    expect(klarnaSdkUrl('https://api.playground.klarna.com', undefined)).toBe(KLARNA_CDN_SDK_URL);
    expect(klarnaSdkUrl('https://api-na.klarna.com', undefined)).toBe(KLARNA_CDN_SDK_URL);
    expect(klarnaSdkUrl('https://api.klarna.com', undefined)).toBe(KLARNA_CDN_SDK_URL);
  });

  it("loads the simulator's stand-in SDK when Klarna is the simulator", () => {
    expect(klarnaSdkUrl('http://127.0.0.1:4010', undefined)).toBe('http://127.0.0.1:4010/_sim/sdk/klarna-payments.js');
  });

  it('does not take a look-alike host for Klarna', () => {
    expect(klarnaSdkUrl('https://api.klarna.com.example.org', undefined)).toContain('/_sim/sdk/');
    expect(klarnaSdkUrl('https://notklarna.com', undefined)).toContain('/_sim/sdk/');
  });

  it('uses KLARNA_SDK_URL when set', () => {
    expect(klarnaSdkUrl('https://api.klarna.com', 'https://cdn.example.test/kp.js')).toBe(
      'https://cdn.example.test/kp.js',
    );
  });
});
