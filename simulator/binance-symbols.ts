// Base assets of Binance's busiest USDT pairs, roughly by trade count, so the head of a
// generated universe looks like the real one (1000SATS: Binance lists bases that start with a digit).
const MAJORS = [
  'BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'DOGE', 'ADA', 'TRX', 'LINK', 'AVAX', 'SUI', 'PEPE', 'TON', 'SHIB', 'LTC',
  'DOT', 'BCH', 'NEAR', 'UNI', 'APT', 'WIF', 'ICP', 'ETC', 'FET', 'ARB', 'OP', 'HBAR', 'FIL', 'ATOM', 'INJ',
  'RENDER', 'TIA', 'SEI', 'AAVE', 'BONK', 'FLOKI', 'ENA', 'WLD', 'JUP', 'STX', 'IMX', 'VET', 'ALGO', 'GRT',
  'RUNE', 'LDO', 'PENDLE', 'TAO', 'ORDI', 'NOT', 'PEOPLE', 'GALA', 'SAND', 'MANA', 'AXS', 'APE', 'CRV', 'DYDX',
  'EGLD', 'XLM', '1000SATS',
];

// Made-up bases for the long tail: two-letter syllables, so every index spells a different name.
const SYLLABLES = ['ZE', 'KA', 'LO', 'MI', 'RA', 'NU', 'VO', 'TI', 'XA', 'QU', 'BE', 'DO', 'FI', 'GO', 'HA', 'JU', 'PY', 'SO', 'WE', 'YU'];
const ENDINGS = ['', 'X', 'N', 'R', 'K', 'S', 'T', 'L'];

function tailBase(index: number): string {
  // Bijective base-20 over the syllables, from two syllables up, lowest digit first so
  // neighbours differ at the front; the ending only adds variety.
  let n = index + SYLLABLES.length;
  let name = '';
  while (n >= 0) {
    name += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length) - 1;
  }
  return name + ENDINGS[index % ENDINGS.length];
}

/** `count` symbols that look like Binance USDT pairs: the majors first, then a made-up tail. */
export function binanceSymbols(count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`symbol count must be an integer >= 1, got ${count}`);
  const bases = MAJORS.slice(0, count);
  const taken = new Set(bases);
  for (let i = 0; bases.length < count; i++) {
    const base = tailBase(i);
    if (!taken.has(base)) bases.push(base);
  }
  return bases.map((b) => `${b}USDT`);
}
