import { Global, Module } from '@nestjs/common';
import { ReadinessProbe } from '../health/readiness-probe.js';
import { LifecycleService } from './lifecycle.service.js';

/** Readiness and the graceful shutdown, which turns readiness off first and closes the readiness connection last. */
@Global()
@Module({ providers: [LifecycleService, ReadinessProbe], exports: [LifecycleService, ReadinessProbe] })
export class LifecycleModule {}
