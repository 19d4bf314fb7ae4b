import 'reflect-metadata';
import { ConfigurationError, loadConfig, loadEnvFile, processEnvironment } from './config/app-config.js';
import { startRuntime } from './runtime.js';

loadEnvFile();
try {
  const runtime = await startRuntime(loadConfig(processEnvironment()));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal (Ctrl-C twice) does not wait for the graceful stop.
    if (stopping) process.exit(1);
    stopping = true;
    void runtime.shutdown(signal).then((code) => process.exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (error) {
  // One clear line, no stack: a bad setting is an operator's problem, not a bug.
  const message =
    error instanceof ConfigurationError
      ? error.message
      : `Start-up failed: ${(error as Error).message ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
