import { InvalidArgumentError } from 'commander';
import { binanceSymbols } from '../simulator/binance-symbols';

/** commander parsers that refuse a bad value with a message naming what was expected. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

export function symbolList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (list.length === 0 || !list.every((s) => /^[A-Z0-9]{2,20}$/.test(s))) throw new InvalidArgumentError('must be symbols like BTCUSDT,ETHUSDT');
  return list;
}

/** Symbols, or a count of Binance-like USDT pairs (majors first). */
export function symbolsOrCount(value: string): string[] {
  if (!/^\d+$/.test(value.trim())) return symbolList(value);
  const count = Number(value);
  if (count < 1) throw new InvalidArgumentError('must be symbols like BTCUSDT,ETHUSDT or a count >= 1');
  return binanceSymbols(count);
}
