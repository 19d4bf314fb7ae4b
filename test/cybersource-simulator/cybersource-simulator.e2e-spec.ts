/** The CyberSource simulator's own tests: raw signed SOAP requests, as a client other than our gateway would send them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readMerchantP12, type MerchantCredentials } from '../../src/cybersource/merchant-certificate.js';
import {
  childElements,
  parseXml,
  readReplyMessage,
  requestMessageXml,
  type SimpleOrderReply,
  type SimpleOrderRequest,
} from '../../src/cybersource/simple-order-xml.js';
import { SIMPLE_ORDER_NAMESPACE } from '../../src/cybersource/simple-order-xsd.js';
import { signedEnvelope } from '../../src/cybersource/ws-security.js';
import {
  startCyberSourceSimulator,
  type CyberSourceSimulator,
} from '../../src/cybersource-simulator/cybersource-simulator.js';
import { generateThrowawayP12 } from '../../src/cybersource-simulator/throwaway-p12.js';

const MERCHANT = 'sim_test';
const HOUR_MS = 3600 * 1000;

type Answer = { status: number; reply?: SimpleOrderReply; fault?: { code: string; text: string } };

describe('CyberSource simulator', () => {
  let simulator: CyberSourceSimulator;
  let credentials: MerchantCredentials;

  beforeAll(async () => {
    const p12 = generateThrowawayP12(MERCHANT, 'pw');
    credentials = readMerchantP12(p12.p12, 'pw');
    simulator = await startCyberSourceSimulator({ merchantId: MERCHANT, certificatePem: p12.certificatePem });
  });
  afterAll(async () => {
    await simulator.close();
  });
  beforeEach(async () => {
    await control('POST', '/reset');
  });

  async function control<T = Record<string, unknown>>(method: string, path: string, body?: unknown) {
    const response = await fetch(`${simulator.url}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function post(envelope: string): Promise<Answer> {
    const response = await fetch(simulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: envelope,
    });
    const root = parseXml(await response.text())!.documentElement;
    const body = childElements(root).find((element) => element.localName === 'Body')!;
    const [content] = childElements(body);
    if (content.localName === 'Fault') {
      const text = (name: string) => content.getElementsByTagName(name)[0]?.textContent ?? '';
      return { status: response.status, fault: { code: text('faultcode'), text: text('faultstring') } };
    }
    return { status: response.status, reply: readReplyMessage(content) };
  }

  const send = (request: SimpleOrderRequest) => post(signedEnvelope(requestMessageXml(request), credentials));
  const sendXml = (body: string) => post(signedEnvelope(body, credentials));

  const session = (overrides: Partial<SimpleOrderRequest> = {}): SimpleOrderRequest => ({
    merchantID: MERCHANT,
    merchantReferenceCode: 'cart-1',
    billTo: { country: 'DE', language: 'de-DE' },
    item: [
      { unitPrice: '59.50', quantity: '2', productName: 'Mug' },
      { unitPrice: '10.00', quantity: '1', productCode: 'coupon', productName: 'Coupon' },
    ],
    purchaseTotals: { currency: 'EUR', grandTotalAmount: '109.00' },
    apPaymentType: 'KLI',
    apSessionsService: { sessionsType: 'N', paymentFlowMode: 'inline' },
    ...overrides,
  });

  async function createdSession(): Promise<string> {
    const answer = await send(session());
    expect(answer.reply).toMatchObject({ reasonCode: 100, decision: 'ACCEPT' });
    return answer.reply!.requestID;
  }

  describe('signature and schema', () => {
    it('answers a signed, well-ordered request with a replyMessage and records it', async () => {
      const answer = await send(session());
      expect(answer.status).toBe(200);
      expect(answer.reply!.fields).toMatchObject({
        apSessionsReply_status: 'INITIATED',
        merchantReferenceCode: 'cart-1',
      });
      expect(answer.reply!.fields.apSessionsReply_processorToken).toBeTruthy();
      const calls = (await control<{ calls: { operation: string; fields: Record<string, string> }[] }>('GET', '/calls'))
        .body.calls;
      expect(calls).toMatchObject([{ operation: 'createSession', fields: { item_1_productCode: 'coupon' } }]);
    });

    it('refuses an unsigned request with a WS-Security SOAP fault', async () => {
      const unsigned = signedEnvelope(requestMessageXml(session()), credentials).replace(
        /<ds:Signature[\s\S]*<\/ds:Signature>/,
        '',
      );
      expect(await post(unsigned)).toMatchObject({ status: 500, fault: { code: 'wsse:FailedCheck' } });
    });

    it('refuses a request whose body changed after signing', async () => {
      const tampered = signedEnvelope(requestMessageXml(session()), credentials).replace('59.50', '5.95');
      const answer = await post(tampered);
      expect(answer.fault).toEqual({ code: 'wsse:FailedCheck', text: 'Security error: signature does not verify' });
      expect(await control('GET', '/calls').then((calls) => calls.body)).toMatchObject({
        calls: [{ operation: 'unknown', reasonCode: null }],
      });
    });

    it('refuses a merchant id other than the certificate’s', async () => {
      const answer = await send(session({ merchantID: 'someone_else' }));
      expect(answer.fault?.text).toContain('merchantID does not match the certificate');
    });

    it('refuses elements out of the XSD order, as schema validation does', async () => {
      const outOfOrder = `<requestMessage xmlns="${SIMPLE_ORDER_NAMESPACE}"><merchantID>${MERCHANT}</merchantID><merchantReferenceCode>c</merchantReferenceCode><purchaseTotals><currency>EUR</currency><grandTotalAmount>1.00</grandTotalAmount></purchaseTotals><item id="0"><unitPrice>1.00</unitPrice><quantity>1</quantity><productName>A</productName></item><apPaymentType>KLI</apPaymentType><apSessionsService run="true"><sessionsType>N</sessionsType></apSessionsService></requestMessage>`;
      expect(await sendXml(outOfOrder)).toMatchObject({
        status: 500,
        fault: {
          code: 'soap:Client',
          text: "XML parse error: element item is out of the XSD's order in requestMessage",
        },
      });
    });

    it('refuses shipTo with district before state (the XSD puts state first there)', async () => {
      const shipTo = '<shipTo><district>Mitte</district><state>BE</state></shipTo>';
      const xml = requestMessageXml(session()).replace('</billTo>', `</billTo>${shipTo}`);
      expect((await sendXml(xml)).fault?.text).toContain("element state is out of the XSD's order in shipTo");
    });

    it('refuses unknown elements and services without run="true"', async () => {
      const unknown = requestMessageXml(session()).replace('<apPaymentType>', '<nickname>x</nickname><apPaymentType>');
      expect((await sendXml(unknown)).fault?.text).toContain('element nickname is not expected in requestMessage');
      const notRun = requestMessageXml(session()).replace('<apSessionsService run="true">', '<apSessionsService>');
      expect((await sendXml(notRun)).fault?.text).toContain('apSessionsService must have run="true"');
    });
  });

  describe('reason codes', () => {
    it('101 lists the missing fields', async () => {
      const answer = await send(session({ billTo: { language: 'de-DE' }, purchaseTotals: { currency: 'EUR' } }));
      expect(answer.reply).toMatchObject({
        decision: 'REJECT',
        reasonCode: 101,
        missingFields: ['c:purchaseTotals/c:grandTotalAmount', 'c:billTo/c:country'],
      });
    });

    it('102 when the grand total breaks the rule (coupons subtracted)', async () => {
      const answer = await send(session({ purchaseTotals: { currency: 'EUR', grandTotalAmount: '119.00' } }));
      expect(answer.reply).toMatchObject({ reasonCode: 102, invalidFields: ['c:purchaseTotals/c:grandTotalAmount'] });
    });

    it('102 for amounts with more decimals than the currency has, a bad language, or another payment type', async () => {
      const decimals = await send(session({ item: [{ unitPrice: '109.001', quantity: '1', productName: 'Mug' }] }));
      expect(decimals.reply?.invalidFields).toContain('c:item_0/c:unitPrice');
      const language = await send(session({ billTo: { country: 'GB', language: 'en-UK' } }));
      expect(language.reply?.invalidFields).toEqual(['c:billTo/c:language']);
      expect((await send(session({ apPaymentType: 'PPL' }))).reply?.invalidFields).toEqual(['c:apPaymentType']);
    });
  });

  describe('sessions and authorizations', () => {
    it('keeps a session 48 hours by its clock: then updates are refused and check status says ABANDONED', async () => {
      const sessionId = await createdSession();
      const update = () => send(session({ apSessionsService: { sessionsType: 'U', sessionsRequestID: sessionId } }));
      await control('POST', '/clock', { advanceMs: 47 * HOUR_MS });
      expect((await update()).reply?.reasonCode).toBe(100);
      await control('POST', '/clock', { advanceMs: HOUR_MS });
      expect((await update()).reply).toMatchObject({
        reasonCode: 102,
        invalidFields: ['c:apSessionsService/c:sessionsRequestID'],
      });
      const status = await send({
        merchantID: MERCHANT,
        merchantReferenceCode: sessionId,
        apPaymentType: 'KLI',
        apCheckStatusService: { sessionsRequestID: sessionId },
      });
      expect(status.reply?.fields.apCheckStatusReply_paymentStatus).toBe('ABANDONED');
    });

    it('authorizes only what the shopper authorized, with a token that lives 60 minutes and is spent once', async () => {
      const sessionId = await createdSession();
      const { body } = await control<{ authorization_token: string }>('POST', `/sessions/${sessionId}/authorize`, {});
      const authorize = (total: string) =>
        send(
          session({
            purchaseTotals: { currency: 'EUR', grandTotalAmount: total },
            item: [{ unitPrice: total, quantity: '1', productName: 'Mug' }],
            apSessionsService: undefined,
            apAuthService: { preapprovalToken: body.authorization_token },
          }),
        );
      expect((await authorize('110.00')).reply?.invalidFields).toEqual(['c:purchaseTotals/c:grandTotalAmount']);
      const accepted = await authorize('109.00');
      expect(accepted.reply).toMatchObject({ reasonCode: 100, fields: { apAuthReply_status: 'AUTHORIZED' } });
      expect((await authorize('109.00')).reply?.invalidFields).toEqual(['c:apAuthService/c:preapprovalToken']);

      const second = await createdSession();
      const late = await control<{ authorization_token: string }>('POST', `/sessions/${second}/authorize`, {});
      await control('POST', '/clock', { advanceMs: HOUR_MS });
      const expired = await send(
        session({ apSessionsService: undefined, apAuthService: { preapprovalToken: late.body.authorization_token } }),
      );
      expect(expired.reply?.invalidFields).toEqual(['c:apAuthService/c:preapprovalToken']);
    });

    it('lets the shopper be denied by the widget, and refuses to authorize a completed or unknown session', async () => {
      const sessionId = await createdSession();
      expect((await control('POST', `/sessions/${sessionId}/authorize`, { outcome: 'denied' })).body).toEqual({
        approved: false,
      });
      expect((await control('POST', '/sessions/123/authorize', {})).status).toBe(404);
      expect((await control('POST', `/sessions/${sessionId}/authorize`, { outcome: 'maybe' })).status).toBe(400);
    });

    it('settles only PENDING authorizations', async () => {
      expect((await control('POST', '/authorizations/123/settle', {})).status).toBe(409);
    });
  });

  describe('control endpoints', () => {
    it('validates fault rules and lists them', async () => {
      expect((await control('POST', '/faults', { reasonCode: 200 })).status).toBe(400);
      expect((await control('POST', '/faults', { operation: 'teleport' })).status).toBe(400);
      expect((await control('POST', '/faults', { surprise: true })).status).toBe(400);
      expect((await control('POST', '/faults', { operation: 'capture', failNext: 2, reasonCode: 152 })).status).toBe(
        201,
      );
      expect((await control<{ faults: unknown[] }>('GET', '/faults')).body.faults).toMatchObject([
        { operation: 'capture', failNext: 2 },
      ]);
    });

    it('answers 150 to the next N calls of an operation without applying them, then recovers', async () => {
      await control('POST', '/faults', { operation: 'createSession', failNext: 1 });
      const failed = await send(session());
      expect(failed.reply).toMatchObject({ decision: 'ERROR', reasonCode: 150 });
      expect((await control('GET', `/sessions/${failed.reply!.requestID}`)).status).toBe(404);
      expect((await send(session())).reply?.reasonCode).toBe(100);
    });

    it('forgets everything on reset', async () => {
      const sessionId = await createdSession();
      await control('POST', '/reset');
      expect((await control('GET', `/sessions/${sessionId}`)).status).toBe(404);
      expect((await control<{ calls: unknown[] }>('GET', '/calls')).body.calls).toEqual([]);
    });
  });
});
