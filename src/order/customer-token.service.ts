import { Injectable, Logger } from '@nestjs/common';
import { CartService } from '../cart/cart.service.js';
import { ConflictError, KlarnaUnavailableError, UnprocessableError } from '../common/errors.js';
import { idempotencyKeyFor } from '../common/idempotency-key.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import type { KlarnaAuthorization } from '../generated/prisma/client.js';
import type { KlarnaSessionView } from '../klarna/klarna.types.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { withKlarnaRetries } from '../klarna/klarna-retry.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';

/** Klarna customer tokens (recurring purchases), created from an authorization of the cart. */
@Injectable()
export class CustomerTokenService {
  private readonly logger = new Logger(CustomerTokenService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly carts: CartService,
    private readonly klarnaSessions: KlarnaSessionService,
    private readonly klarna: KlarnaGateway,
  ) {}

  async create(
    cartId: string,
    request: { authorizationToken: string; intendedUse: string; description: string },
  ): Promise<{ tokenId: string; redirectUrl: string | null }> {
    const { orderData, authorization } = await this.prisma.$transaction(async (tx) => {
      const { sessionCart } = await this.carts.lockForCheckout(tx, cartId);
      const known =
        (await this.klarnaSessions.findAuthorization(tx, request.authorizationToken)) ??
        (await this.recordIfTheSessions(tx, cartId, request.authorizationToken));
      if (!known || known.cartId !== cartId) {
        throw new UnprocessableError('AUTHORIZATION_INVALID', 'This authorization is not one of this cart');
      }
      const session = await this.klarnaSessions.sessionOf(tx, known);
      if (session?.intent !== 'tokenize' && session?.intent !== 'buy_and_tokenize') {
        // KP-SPEC session.intent: Klarna gives customer tokens only for sessions opened to tokenize.
        throw new ConflictError(
          'TOKENIZATION_NOT_REQUESTED',
          'Open the Klarna session with intent tokenize or buy_and_tokenize to create a customer token',
        );
      }
      return { orderData: sessionCart.orderData, authorization: known };
    });
    try {
      const token = await withKlarnaRetries(
        () =>
          this.klarna.createCustomerToken(
            request.authorizationToken,
            {
              purchaseCountry: orderData.purchaseCountry,
              purchaseCurrency: orderData.purchaseCurrency,
              locale: orderData.locale,
              description: request.description,
              intendedUse: request.intendedUse,
              billingAddress: orderData.billingAddress,
              customer: orderData.customer,
            },
            // One customer token per authorization: a repeat after a lost answer gets the token Klarna made.
            idempotencyKeyFor('customer-token', authorization.id),
          ),
        { attempts: 2, backoffMs: 150 },
      );
      await this.klarnaSessions.saveCustomerToken(this.prisma, {
        cartId,
        tokenId: token.tokenId,
        intendedUse: request.intendedUse,
        description: request.description,
      });
      this.logger.log({ event: 'customer_token.created', cartId, correlationId: token.correlationId });
      return { tokenId: token.tokenId, redirectUrl: token.redirectUrl ?? null };
    } catch (error) {
      if (!(error instanceof KlarnaApiError)) throw error;
      this.logger.warn({ event: 'customer_token.failed', cartId, ...error.toLog() });
      if (error.isTransient)
        throw new KlarnaUnavailableError('Klarna is not answering; try again shortly', error.correlationId);
      throw error.isNotFound
        ? new UnprocessableError(
            'AUTHORIZATION_INVALID',
            'Klarna does not know this authorization',
            error.correlationId,
          )
        : new UnprocessableError(
            'KLARNA_REJECTED',
            `Klarna refused the customer token: ${error.errorCode}`,
            error.correlationId,
          );
    }
  }

  /**
   * A token we have not seen yet (the storefront was faster than Klarna's callback): it belongs to the cart only
   * if Klarna says it is the authorization of the cart's live session (KP read session, authorization_token).
   */
  private async recordIfTheSessions(
    tx: PrismaTransaction,
    cartId: string,
    authorizationToken: string,
  ): Promise<KlarnaAuthorization | null> {
    const session = await this.klarnaSessions.liveSession(tx, cartId);
    if (!session) return null;
    let held: KlarnaSessionView;
    try {
      held = await this.klarnaSessions.readKlarnaSession(session.sessionId);
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isTransient) {
        throw new KlarnaUnavailableError('Klarna is not answering; try again shortly', error.correlationId);
      }
      return null;
    }
    if (held.authorizationToken !== authorizationToken) return null;
    return this.klarnaSessions.recordAuthorization(tx, cartId, authorizationToken, 'storefront', false);
  }
}
