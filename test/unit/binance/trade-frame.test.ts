import { parseFrame } from '../../../lib/binance/trade-frame';

// The payload example from Binance's docs (web-socket-streams.md, "Trade Streams").
const DOC_EXAMPLE = '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}';

describe('frame parsing', () => {
  test("Binance's documented trade payload, raw and combined", () => {
    const raw = parseFrame(DOC_EXAMPLE);
    expect(raw).toEqual({
      kind: 'trade',
      trade: {
        eventType: 'trade',
        eventTime: 1672515782136,
        symbol: 'BNBBTC',
        tradeId: 12345,
        price: '0.001',
        quantity: '100',
        tradeTime: 1672515782136,
        buyerIsMaker: true,
        isBestMatch: true,
      },
    });
    expect(parseFrame(`{"stream":"bnbbtc@trade","data":${DOC_EXAMPLE}}`)).toEqual(raw);
  });

  test('the old payload with b and a order ids still parses', () => {
    expect(parseFrame(DOC_EXAMPLE.replace('"T"', '"b":88,"a":50,"T"')).kind).toBe('trade');
  });

  test('serverShutdown, raw and combined', () => {
    expect(parseFrame('{"e":"serverShutdown","E":1}')).toEqual({ kind: 'server_shutdown', eventTime: 1 });
    expect(parseFrame('{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":2}}')).toEqual({ kind: 'server_shutdown', eventTime: 2 });
  });

  test('subscription replies are recognised', () => {
    expect(parseFrame('{"result":null,"id":1}')).toEqual({ kind: 'reply', id: 1 });
  });

  test.each([
    ['{"e":"trade","E":', 'invalid_json'],
    ['[1,2]', 'not_an_object'],
    ['"text"', 'not_an_object'],
    ['{"e":"mysteryEvent","E":1}', 'unknown_event'],
    ['{"e":"trade","E":1,"s":"BTCUSDT","p":"1.0","q":"1","T":1,"m":true}', 'missing_field'],
    ['{"e":"trade","E":1,"s":"BTCUSDT","t":"12","p":"1.0","q":"1","T":1,"m":true}', 'wrong_type'],
    ['{"e":"trade","E":1,"s":"BTCUSDT","t":12,"p":1.5,"q":"1","T":1,"m":true}', 'wrong_type'],
    ['{"e":"trade","E":1,"s":"BTCUSDT","t":12,"p":"1e5","q":"1","T":1,"m":true}', 'wrong_type'],
    ['{"e":"trade","E":1,"s":"BTCUSDT","t":-3,"p":"1","q":"1","T":1,"m":true}', 'wrong_type'],
    ['{"stream":"x","data":null}', 'wrong_type'],
  ])('%s is invalid: %s', (text, reason) => {
    const f = parseFrame(text);
    expect(f.kind).toBe('invalid');
    expect(f.kind === 'invalid' && f.reason).toBe(reason);
  });
});
