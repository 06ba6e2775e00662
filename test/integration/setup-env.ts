import { DefaultLogger, Runtime } from '@temporalio/worker';

// Our JSON logs go straight to fd 2, past jest's capture: keep tests to warnings and errors
// unless LOG_LEVEL asks for more.
process.env.LOG_LEVEL ??= 'warn';

// The SDK's INFO lines (worker state changes) drown the test output; warnings still show.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Installed already by an earlier test file in this jest worker.
}
