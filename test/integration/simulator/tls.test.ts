import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { BinanceSimulator, startSimulator } from '../../../simulator/simulator';
import { TlsMode } from '../../../simulator/tls';
import { RecordingClient } from '../../helpers/ws-client';

let sim: BinanceSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function connect(mode: TlsMode, withCa: boolean): Promise<string> {
  sim = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 50 }], tls: mode });
  const ca = withCa ? readFileSync(sim.urls.caFile!) : undefined;
  const c = new RecordingClient(`${sim.urls.ws}/ws/btcusdt@trade`, ca ? { ca } : {});
  try {
    await c.opened();
    await c.until((m) => m.length > 0);
    return 'connected';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    c.close();
  }
}

describe('TLS', () => {
  test("Node's default verification refuses the generated certificate", async () => {
    expect(await connect('trusted', false)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  test('the generated CA bundle makes it trusted', async () => {
    expect(await connect('trusted', true)).toBe('connected');
    // REST on the same server, same certificate.
    const status = await new Promise<number>((resolve, reject) =>
      get(`${sim!.urls.rest}/api/v3/ping`, { ca: readFileSync(sim!.urls.caFile!) }, (res) => resolve(res.statusCode ?? 0)).on('error', reject),
    );
    expect(status).toBe(200);
  });

  test('an untrusted certificate is refused even with the CA', async () => {
    expect(await connect('untrusted', true)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  test('a certificate for another host name is refused', async () => {
    expect(await connect('wrong-host', true)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
