import 'reflect-metadata';
import { ConfigurationError, loadConfig, loadEnvFile, processEnvironment } from './config/app-config.js';
import { startRuntime } from './runtime.js';

loadEnvFile();
try {
  const runtime = await startRuntime(loadConfig(processEnvironment()));
  const shutdown = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
} catch (error) {
  // One clear line, no stack: a bad setting is an operator's problem, not a bug.
  const message =
    error instanceof ConfigurationError
      ? error.message
      : `Start-up failed: ${(error as Error).message ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
