import { Command, Option } from 'commander';
import { isKnownSymbol } from '../../lib/binance/symbols';
import { RateProfile } from '../../simulator/market';
import { simulatorOptions, startSimulator } from '../../simulator/simulator';
import { TlsMode } from '../../simulator/tls';
import { nonNegativeInt, positiveNumber, symbolList } from '../options';

interface SimulatorFlags {
  host: string;
  port: number;
  controlPort: number;
  symbols: string[];
  rate: number;
  profile: RateProfile;
  tls?: TlsMode | true;
  tlsDir?: string;
  pingInterval: number;
  pongTimeout: number;
  maxLifetime: number;
  retention: number;
  restWeightLimit: number;
  connectionAttempts: number;
  json?: boolean;
  firstIds: 'time' | 'hash';
  statsInterval: number;
}

export function simulatorCommand(): Command {
  return new Command('simulator')
    .description('run the Binance-compatible exchange simulator (WebSocket streams, REST, faults, ground truth)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'WebSocket + REST port (0: any free port)', nonNegativeInt, 19443)
    .option('--control-port <n>', 'fault-injection and ground-truth HTTP port (0: any)', nonNegativeInt, 19444)
    .option('--symbols <list>', 'comma-separated symbols', symbolList, ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'])
    .option('--rate <n>', 'trades per second per symbol', positiveNumber, 10)
    .addOption(new Option('--profile <p>', 'rate over time').choices(['steady', 'bursty', 'quiet']).default('steady'))
    .addOption(new Option('--tls [mode]', 'serve wss/https with a generated CA').choices(['trusted', 'untrusted', 'wrong-host']))
    .option('--tls-dir <dir>', 'where to write ca.pem, server.pem, server-key.pem')
    .option('--ping-interval <s>', 'server ping interval in seconds', positiveNumber, 20)
    .option('--pong-timeout <s>', 'disconnect when no pong within this many seconds', positiveNumber, 60)
    .option('--max-lifetime <s>', 'close connections after this many seconds', positiveNumber, 24 * 3600)
    .option('--retention <n>', 'trades per symbol kept for REST history', positiveNumber, 200_000)
    .option('--rest-weight-limit <n>', 'REST request weight per minute', positiveNumber, 6000)
    .option('--connection-attempts <n>', 'WebSocket connection attempts allowed per 5 minutes', positiveNumber, 300)
    .option('--stats-interval <s>', 'seconds between status lines', positiveNumber, 5)
    .addOption(new Option('--first-ids <mode>', 'first trade ids: time (a restart never reuses ids) or hash (stable per symbol)').choices(['time', 'hash']).default('time'))
    .option('--json', 'print the URLs as one JSON line (for scripts and tests)')
    .action(async (f: SimulatorFlags) => {
      const unknown = f.symbols.filter((s) => !isKnownSymbol(s));
      if (unknown.length) throw new Error(`unknown quote asset in ${unknown.join(', ')}`);
      const defaults = simulatorOptions();
      const sim = await startSimulator({
        host: f.host,
        port: f.port,
        controlPort: f.controlPort,
        symbols: f.symbols.map((symbol) => ({ symbol, rate: f.rate, profile: f.profile })),
        tls: f.tls === true ? 'trusted' : f.tls,
        tlsDir: f.tlsDir,
        limits: {
          ...defaults.limits,
          pingIntervalMs: f.pingInterval * 1000,
          pongTimeoutMs: f.pongTimeout * 1000,
          maxLifetimeMs: f.maxLifetime * 1000,
        },
        rest: { ...defaults.rest, weightPerMinute: f.restWeightLimit },
        connectionAttempts: { ...defaults.connectionAttempts, limit: f.connectionAttempts },
        retention: f.retention,
        firstIds: f.firstIds,
      });
      const streams = f.symbols.map((s) => `${s.toLowerCase()}@trade`).join('/');
      if (f.json) {
        console.log(JSON.stringify({ event: 'simulator.ready', ...sim.urls, pid: process.pid }));
      } else {
        console.log(
          [
            `simulator: ${f.symbols.length} symbols at ${f.rate} trades/s each (${f.profile})`,
            `  WebSocket  ${sim.urls.ws}/stream?streams=${streams}`,
            `  REST       ${sim.urls.rest}/api/v3/historicalTrades?symbol=${f.symbols[0]}&limit=10`,
            `  control    ${sim.urls.control}/status`,
            sim.urls.caFile ? `  CA bundle  ${sim.urls.caFile}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }
      const timer = setInterval(() => {
        const s = sim.stats();
        const ids = Object.entries(s.generated)
          .map(([sym, g]) => `${sym}:${g.lastId}`)
          .join(' ');
        console.error(
          `simulator: ${s.messagesPerSecond.toLocaleString('en-US')} msg/s, ${s.connections} connections, ${s.restRequests} REST requests, last ids ${ids}`,
        );
      }, f.statsInterval * 1000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(timer);
      await sim.stop();
    });
}
