import { newTally, summarizeTally, tallyId } from '../../../soak/ground-truth';

const check = (ids: number[], last: number) => {
  const t = newTally(ids[0], last);
  for (const id of ids) tallyId(t, id);
  return summarizeTally(t);
};

describe('ground-truth tally', () => {
  test('every id once, in order', () => {
    expect(check([5_000_000_001, 5_000_000_002, 5_000_000_003], 5_000_000_003)).toEqual({
      firstWritten: 5_000_000_001, written: 3, missing: 0, duplicated: 0, outOfOrder: 0,
    });
  });

  test('a gap, a copy and a tail the topic never got', () => {
    expect(check([10, 11, 11, 13], 15)).toEqual({ firstWritten: 10, written: 4, missing: 3, duplicated: 1, outOfOrder: 0 });
  });

  test('ids below the first written one count as out of order, and their own gaps as missing', () => {
    expect(check([20, 21, 17, 17, 22], 22)).toEqual({ firstWritten: 17, written: 5, missing: 2, duplicated: 1, outOfOrder: 1 });
  });

  test('an id past the last generated one is an extra record', () => {
    expect(check([1, 2, 3, 9], 3).duplicated).toBe(1);
  });
});
