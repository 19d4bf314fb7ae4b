import { Injectable, Logger } from '@nestjs/common';
import { CartService } from '../cart/cart.service.js';
import { KlarnaUnavailableError, UnprocessableError } from '../common/errors.js';
import { PrismaService } from '../database/prisma.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
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
    const { sessionCart } = await this.prisma.$transaction((tx) => this.carts.lockForCheckout(tx, cartId));
    const { orderData } = sessionCart;
    try {
      const token = await this.klarna.createCustomerToken(request.authorizationToken, {
        purchaseCountry: orderData.purchaseCountry,
        purchaseCurrency: orderData.purchaseCurrency,
        locale: orderData.locale,
        description: request.description,
        intendedUse: request.intendedUse,
        billingAddress: orderData.billingAddress,
        customer: orderData.customer,
      });
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
}
