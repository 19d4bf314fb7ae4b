import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { PrismaService } from '../database/prisma.service.js';
import { MIGRATIONS_DIR } from '../database/migrations-dir.js';
import { pendingMigrations } from '../database/migrator.js';

@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly prisma: PrismaService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async isReachable(key = 'database'): Promise<HealthIndicatorResult> {
    const check = this.indicator.check(key);
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }

  async isMigrated(key = 'migrations'): Promise<HealthIndicatorResult> {
    const check = this.indicator.check(key);
    try {
      const pending = await pendingMigrations(MIGRATIONS_DIR, (sql) => this.prisma.$queryRawUnsafe(sql));
      return pending.length === 0 ? check.up() : check.down({ pending });
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unknown' });
    }
  }
}
