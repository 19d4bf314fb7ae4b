import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '../config/app-config.js';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

/** The application's one Prisma client, on node-postgres through the driver adapter (no native engine). */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({
      adapter: new PrismaPg({ connectionString: config.databaseUrl, max: config.databasePoolSize }),
    });
  }

  /**
   * Not onModuleDestroy: that runs before the HTTP server drains. LifecycleService disconnects in its order
   * (after the requests and the jobs); this only catches an app closed before that ran.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

/** The client handed to repositories inside an explicit transaction. */
export type PrismaTransaction = Prisma.TransactionClient;

/**
 * Options for a transaction that waits for Klarna inside it (the cart's row lock is held across the call):
 * room for a Klarna call at its timeout and one retry-free follow-up, instead of Prisma's 5 s default.
 */
export function transactionOptionsFor(config: AppConfig): { timeout: number; maxWait: number } {
  return { timeout: config.klarna.timeoutMs * 2 + 5000, maxWait: 10_000 };
}
