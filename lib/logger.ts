import pino from 'pino';

// One JSON object per line on stderr, so stdout stays free for command output.
// Every line carries an `event` name; secrets are redacted wherever they appear.
const root = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['password', '*.password', 'sasl', '*.sasl', 'apiKey', '*.apiKey', 'secret', '*.secret', 'token', '*.token'],
      censor: '[redacted]',
    },
  },
  pino.destination({ fd: 2, sync: true }),
);

export type Logger = pino.Logger;

export function createLogger(component: string): Logger {
  return root.child({ component });
}
