import { SecondIndex } from '../../../simulator/second-index';

describe('second index', () => {
  test('keeps the first id of each second and finds the first at or after a second', () => {
    const index = new SecondIndex(1000);
    index.note(10, 100);
    index.note(10, 101);
    index.note(12, 105);
    index.note(15, 110);
    expect(index.size).toBe(3);
    expect(index.firstIdFrom(0)).toBe(100);
    expect(index.firstIdFrom(11)).toBe(105);
    expect(index.firstIdFrom(12)).toBe(105);
    expect(index.firstIdFrom(15)).toBe(110);
    expect(index.firstIdFrom(16)).toBeUndefined();
  });

  test('grows past its first allocation and, at its cap, drops the oldest seconds', () => {
    const index = new SecondIndex(500);
    for (let s = 0; s < 2000; s++) index.note(s, s * 10);
    expect(index.size).toBe(500);
    expect(index.firstIdFrom(0)).toBe(1500 * 10);
    expect(index.firstIdFrom(1700)).toBe(1700 * 10);
    const small = new SecondIndex(3);
    for (let s = 0; s < 10; s++) small.note(s, s);
    expect(small.size).toBe(3);
    expect(small.firstIdFrom(0)).toBe(7);
  });
});
