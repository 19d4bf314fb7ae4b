import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Logger } from '@nestjs/common';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { MerchantCredentials } from './merchant-certificate.js';
import {
  childElements,
  parseXml,
  readReplyMessage,
  requestMessageXml,
  type SimpleOrderReply,
  type SimpleOrderRequest,
} from './simple-order-xml.js';
import { SOAP_ENV, signedEnvelope } from './ws-security.js';

const SERVICE_VERSION = '0.1.0';

/**
 * One Simple Order API call: SOAP 1.1 over HTTPS to the transaction processor, the request signed with the
 * merchant's P12 (ws-security.ts), the reply read into name-value pairs. Anything that is not a reply becomes a
 * KlarnaApiError: no answer (status undefined: outcome unknown), a SOAP fault (401 for a refused signature,
 * 400 for a request the schema refuses, 500 otherwise).
 */
export class SimpleOrderTransport {
  private readonly logger = new Logger('CyberSourceTransport');
  private readonly http: AxiosInstance;

  constructor(
    endpoint: string,
    private readonly credentials: MerchantCredentials,
    timeoutMs: number,
    private readonly metrics: MetricsService,
  ) {
    this.http = axios.create({
      baseURL: endpoint,
      timeout: timeoutMs,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: 'runTransaction',
        'User-Agent': `klarna-checkout-bff/${SERVICE_VERSION} (node ${process.version})`,
      },
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
      responseType: 'text',
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  async run(operation: string, request: SimpleOrderRequest): Promise<SimpleOrderReply> {
    const envelope = signedEnvelope(requestMessageXml(request), this.credentials);
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await this.http.post<string>('', envelope);
      const answer = readEnvelope(String(response.data ?? ''));
      if ('reply' in answer) return answer.reply;
      outcome = 'server_error';
      const { status, errorCode } = faultStatus(answer.faultCode, response.status);
      if (status < 500) outcome = 'client_error';
      throw new KlarnaApiError(operation, status, errorCode, [answer.faultString], undefined, 'http');
    } catch (error) {
      if (error instanceof KlarnaApiError) throw error;
      const timedOut = error instanceof AxiosError && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT');
      outcome = timedOut ? 'timeout' : 'network_error';
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.debug({ event: 'cybersource.call_failed', operation, reason });
      throw new KlarnaApiError(
        operation,
        undefined,
        timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        [reason],
        undefined,
        timedOut ? 'timeout' : 'network',
      );
    } finally {
      this.metrics.observeKlarnaCall(`cybersource:${operation}`, outcome, (performance.now() - started) / 1000);
    }
  }
}

type EnvelopeAnswer = { reply: SimpleOrderReply } | { faultCode: string; faultString: string };

function readEnvelope(xml: string): EnvelopeAnswer {
  const document = parseXml(xml);
  const root = document?.documentElement;
  const body =
    root?.localName === 'Envelope'
      ? childElements(root).find((element) => element.localName === 'Body' && element.namespaceURI === SOAP_ENV)
      : undefined;
  const content = body ? childElements(body)[0] : undefined;
  if (content?.localName === 'replyMessage') return { reply: readReplyMessage(content) };
  if (content?.localName === 'Fault') {
    const text = (name: string) =>
      childElements(content).find((element) => element.localName === name)?.textContent ?? '';
    return { faultCode: text('faultcode').trim(), faultString: text('faultstring').trim() };
  }
  return { faultCode: 'INVALID_RESPONSE', faultString: 'CyberSource answered without a replyMessage or SOAP fault' };
}

/** SOAP faults: WS-Security refusals are ours to fix (401), so is a request the schema refuses (Client, 400). */
function faultStatus(faultCode: string, httpStatus: number): { status: number; errorCode: string } {
  const local = faultCode.split(':').pop() ?? faultCode;
  if (['FailedCheck', 'InvalidSecurity', 'InvalidSecurityToken', 'FailedAuthentication'].includes(local)) {
    return { status: 401, errorCode: 'AUTHENTICATION_FAILED' };
  }
  if (local === 'Client') return { status: 400, errorCode: 'SOAP_CLIENT_FAULT' };
  if (local === 'INVALID_RESPONSE')
    return { status: httpStatus >= 500 ? httpStatus : 502, errorCode: 'INVALID_RESPONSE' };
  return { status: 500, errorCode: 'SOAP_SERVER_FAULT' };
}
