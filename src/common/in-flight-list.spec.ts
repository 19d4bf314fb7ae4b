import { describe, expect, it } from '@jest/globals';
import { InFlightList } from './in-flight-list.js';

describe('InFlightList', () => {
  it('lists what was added and not removed, oldest first', () => {
    const requests = new InFlightList<string>();
    const handles = ['a', 'b', 'c', 'd'].map((value) => requests.add(value));
    requests.remove(handles[1]);
    expect([...requests]).toEqual(['a', 'c', 'd']);
    expect(requests.size).toBe(3);
  });

  it('removes the first, the last and the only entry, and keeps adding after each', () => {
    const requests = new InFlightList<string>();
    const [a, , c] = ['a', 'b', 'c'].map((value) => requests.add(value));
    requests.remove(a);
    requests.remove(c);
    expect([...requests]).toEqual(['b']);
    const d = requests.add('d');
    expect([...requests]).toEqual(['b', 'd']);
    requests.remove(d);
    requests.add('e');
    expect([...requests]).toEqual(['b', 'e']);
  });

  it('is empty again once everything is removed, in any order', () => {
    const requests = new InFlightList<number>();
    const handles = [1, 2, 3, 4, 5].map((value) => requests.add(value));
    for (const index of [2, 0, 4, 1, 3]) requests.remove(handles[index]);
    expect([...requests]).toEqual([]);
    expect(requests.size).toBe(0);
    requests.add(6);
    expect([...requests]).toEqual([6]);
  });

  it('ignores a second removal of the same request, and says which removal was the first', () => {
    const requests = new InFlightList<string>();
    const a = requests.add('a');
    requests.add('b');
    expect(requests.remove(a)).toBe(true);
    expect(requests.remove(a)).toBe(false);
    expect([...requests]).toEqual(['b']);
    expect(requests.size).toBe(1);
  });
});
