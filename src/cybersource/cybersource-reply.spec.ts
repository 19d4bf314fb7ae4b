import { describe, expect, it } from '@jest/globals';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { acceptReply, subStatus } from './cybersource-reply.js';
import { parseXml, readReplyMessage, replyMessageXml, type SimpleOrderReply } from './simple-order-xml.js';

function reply(decision: string, reasonCode: number, extra: Partial<SimpleOrderReply> = {}): SimpleOrderReply {
  return {
    requestID: '6481692924966101503003',
    decision,
    reasonCode,
    missingFields: [],
    invalidFields: [],
    fields: {},
    ...extra,
  };
}

function refusalOf(candidate: SimpleOrderReply, section = 'apAuthReply'): KlarnaApiError {
  try {
    acceptReply('createOrder', candidate, section);
  } catch (error) {
    if (error instanceof KlarnaApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('CyberSource reason codes', () => {
  it('100 is success; the processor sub-status says whether it is pending', () => {
    expect(
      acceptReply('op', reply('ACCEPT', 100, { fields: { apAuthReply_status: 'AUTHORIZED' } }), 'apAuthReply'),
    ).toMatchObject({ pending: false });
    expect(
      acceptReply('op', reply('ACCEPT', 100, { fields: { apAuthReply_status: 'PENDING' } }), 'apAuthReply'),
    ).toMatchObject({ pending: true });
  });

  it('reads the sub-status from the responseCode when no status is sent', () => {
    expect(subStatus(reply('ACCEPT', 100, { fields: { apAuthReply_responseCode: '00001' } }), 'apAuthReply')).toBe(
      'PENDING',
    );
    expect(
      subStatus(reply('ACCEPT', 100, { fields: { apCaptureReply_responseCode: '00004' } }), 'apCaptureReply'),
    ).toBe('SETTLED');
  });

  it('480 (Decision Manager review) is pending, not a refusal', () => {
    expect(acceptReply('op', reply('REVIEW', 480), 'apAuthReply')).toMatchObject({ pending: true });
  });

  it('101 and 102 name the fields, as a 400 like Klarna BAD_VALUE', () => {
    expect(refusalOf(reply('REJECT', 101, { missingFields: ['c:billTo/c:country'] }))).toMatchObject({
      status: 400,
      errorCode: 'BAD_VALUE',
      errorMessages: ['Missing field: c:billTo/c:country'],
      correlationId: '6481692924966101503003',
    });
    expect(
      refusalOf(reply('REJECT', 102, { invalidFields: ['c:billTo/c:language', 'c:item_0/c:unitPrice'] })),
    ).toMatchObject({
      status: 400,
      errorMessages: ['Invalid field: c:billTo/c:language', 'Invalid field: c:item_0/c:unitPrice'],
    });
  });

  it('102 naming only the earlier step (an expired session, a spent token) is a 404', () => {
    const error = refusalOf(reply('REJECT', 102, { invalidFields: ['c:apSessionsService/c:sessionsRequestID'] }));
    expect(error.isNotFound).toBe(true);
    expect(
      refusalOf(reply('REJECT', 102, { invalidFields: ['c:apAuthService/c:preapprovalToken', 'c:billTo/c:country'] }))
        .status,
    ).toBe(400);
  });

  it.each([150, 151, 152])('%i is an unknown outcome: transient, and never a refusal', (code) => {
    const error = refusalOf(reply('ERROR', code));
    expect(error.outcomeUnknown).toBe(true);
    expect(error.isTransient).toBe(true);
  });

  it('481 and declines are refusals (403); a FAILED authorization too, whatever its reason code', () => {
    expect(refusalOf(reply('REJECT', 481))).toMatchObject({ status: 403, errorCode: 'REJECTED' });
    expect(refusalOf(reply('REJECT', 233))).toMatchObject({ status: 403, errorCode: 'DECLINED' });
    expect(refusalOf(reply('ACCEPT', 100, { fields: { apAuthReply_status: 'FAILED' } }))).toMatchObject({
      status: 403,
    });
    expect(refusalOf(reply('REJECT', 233)).outcomeUnknown).toBe(false);
  });

  it('decides any other code on the decision', () => {
    expect(acceptReply('op', reply('ACCEPT', 110), 'apAuthReply')).toMatchObject({ pending: false });
    expect(acceptReply('op', reply('REVIEW', 520), 'apAuthReply')).toMatchObject({ pending: true });
    expect(refusalOf(reply('REJECT', 999)).status).toBe(403);
    expect(refusalOf(reply('ERROR', 999)).outcomeUnknown).toBe(true);
  });

  it('reads a replyMessage with every repeated field and section leaf', () => {
    const xml = replyMessageXml({
      merchantReferenceCode: 'cart-1',
      requestID: '6481692924966101503003',
      decision: 'REJECT',
      reasonCode: 102,
      invalidFields: ['c:billTo/c:language', 'c:purchaseTotals/c:grandTotalAmount'],
      requestToken: 'token',
      sections: { apSessionsReply: { reasonCode: '102' } },
    });
    const parsed = readReplyMessage(parseXml(xml)!.documentElement);
    expect(parsed).toMatchObject({
      requestID: '6481692924966101503003',
      decision: 'REJECT',
      reasonCode: 102,
      invalidFields: ['c:billTo/c:language', 'c:purchaseTotals/c:grandTotalAmount'],
      fields: { merchantReferenceCode: 'cart-1', requestToken: 'token', apSessionsReply_reasonCode: '102' },
    });
  });
});
