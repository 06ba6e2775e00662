import { DefaultLogger, Runtime } from '@temporalio/worker';

// The SDK's INFO lines (worker state changes) drown the test output; warnings still show.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Installed already by an earlier test file in this jest worker.
}
