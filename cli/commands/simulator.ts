import { Command, Option } from 'commander';
import { isKnownSymbol } from '../../lib/binance/symbols';
import { binanceSymbols } from '../../simulator/binance-symbols';
import { NamedProfile } from '../../simulator/market';
import { binanceMix, defaultBinanceRate } from '../../simulator/profiles';
import { simulatorOptions, SimulatorOptions, startSimulator } from '../../simulator/simulator';
import { TlsMode } from '../../simulator/tls';
import { BINANCE_UNIVERSE_SIZE, binanceUniverse } from '../../simulator/universe';
import { nonNegativeInt, positiveNumber, symbolsOrCount } from '../options';

type ProfileFlag = NamedProfile | 'binance';

/** A list of symbols, or a count: that many Binance-like USDT pairs, majors first. */
/** The market the flags describe: for `binance`, --rate is the total over all symbols. */
function marketFor(symbols: string[], profile: ProfileFlag, rate: number | undefined, seed: number): SimulatorOptions['symbols'] {
  if (profile === 'binance') return binanceMix(symbols, rate ?? defaultBinanceRate(symbols.length), seed);
  return symbols.map((symbol) => ({ symbol, rate: rate ?? 10, profile }));
}

function describe(market: SimulatorOptions['symbols'], profile: ProfileFlag, acceleration: number): string {
  const total = market.reduce((sum, m) => sum + m.rate, 0) * acceleration;
  const speed = acceleration === 1 ? '' : `, acceleration ${acceleration}x`;
  if (profile !== 'binance') return `${market.length} symbols at ${+(market[0].rate * acceleration).toFixed(3)} trades/s each (${profile}${speed})`;
  const rates = market.map((m) => m.rate * acceleration).sort((a, b) => a - b);
  const below1 = rates.filter((r) => r < 1).length;
  return (
    `${market.length} symbols, binance mix, ${total.toFixed(0)} trades/s in total${speed} ` +
    `(busiest ${market[0].symbol} ${(market[0].rate * acceleration).toFixed(1)}/s, median ${rates[Math.floor(rates.length / 2)].toFixed(2)}/s, ${below1} below 1/s)`
  );
}

interface SimulatorFlags {
  host: string;
  port: number;
  controlPort: number;
  symbols?: string[];
  rate?: number;
  profile: ProfileFlag;
  universe?: 'binance';
  universeSize: number;
  acceleration: number;
  seed: number;
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
    .option('--symbols <list|n>', 'comma-separated symbols, or a count of Binance-like USDT pairs, majors first (default: BTCUSDT,ETHUSDT,BNBUSDT; with --profile binance 100)', symbolsOrCount)
    .option('--rate <n>', 'trades per second per symbol (default 10); with --profile binance the total over all symbols (default 400 for 100 symbols)', positiveNumber)
    .addOption(
      new Option('--profile <p>', 'rate over time; binance: skewed per-symbol rates with seeded bursts')
        .choices(['steady', 'bursty', 'quiet', 'binance'])
        .default('steady'),
    )
    .addOption(
      new Option('--universe <name>', "a whole market: binance = ~1,500 spot symbols over USDT, USDC, BTC, TRY, FDUSD … with the binance profile's skewed rates (exchangeInfo and ticker/24hr match; POST /market/list and /market/delist on the control port)").choices(['binance']),
    )
    .option('--universe-size <n>', 'symbols in --universe', positiveNumber, BINANCE_UNIVERSE_SIZE)
    .option('--acceleration <x>', 'every rate times x (also POST /market/acceleration on the control port)', positiveNumber, 1)
    .option('--seed <n>', 'seed of prices, sizes, the binance mix and its bursts', nonNegativeInt, 42)
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
      if (f.universe) f.profile = 'binance';
      const symbols = f.universe ? binanceUniverse(Math.round(f.universeSize)) : (f.symbols ?? binanceSymbols(f.profile === 'binance' ? 100 : 3));
      const unknown = symbols.filter((s) => !isKnownSymbol(s));
      if (unknown.length) throw new Error(`unknown quote asset in ${unknown.join(', ')}`);
      const defaults = simulatorOptions();
      const market = marketFor(symbols, f.profile, f.rate, f.seed);
      const sim = await startSimulator({
        host: f.host,
        port: f.port,
        controlPort: f.controlPort,
        symbols: market,
        acceleration: f.acceleration,
        seed: f.seed,
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
        history: !!f.universe,
      });
      const streams = symbols.slice(0, 3).map((s) => `${s.toLowerCase()}@trade`).join('/');
      if (f.json) {
        console.log(JSON.stringify({ event: 'simulator.ready', ...sim.urls, pid: process.pid }));
      } else {
        console.log(
          [
            `simulator: ${describe(market, f.profile, f.acceleration)}`,
            `  WebSocket  ${sim.urls.ws}/stream?streams=${streams}`,
            `  REST       ${sim.urls.rest}/api/v3/historicalTrades?symbol=${symbols[0]}&limit=10`,
            `  control    ${sim.urls.control}/status`,
            sim.urls.caFile ? `  CA bundle  ${sim.urls.caFile}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }
      const timer = setInterval(() => {
        const s = sim.stats();
        const generated = Object.entries(s.generated);
        // Every last id fits on a line for a few symbols; for a hundred, the count says enough.
        const ids =
          generated.length <= 10
            ? `last ids ${generated.map(([sym, g]) => `${sym}:${g.lastId}`).join(' ')}`
            : `${generated.reduce((n, [, g]) => n + g.lastId - g.firstId + 1, 0).toLocaleString('en-US')} trades generated over ${generated.length} symbols`;
        console.error(
          `simulator: ${s.tradesPerSecond.toLocaleString('en-US')} trades/s, ${s.messagesPerSecond.toLocaleString('en-US')} msg/s, ${s.connections} connections, ${s.restRequests} REST requests, ${ids}`,
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
