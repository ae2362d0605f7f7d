// ReplyBudget (app/src/transport/reply-budget.ts): unsent big answers per address and per server.
import { describe, expect, it } from 'vitest';
import { ReplyBudget } from '../../app/src/transport/reply-budget.js';

describe('ReplyBudget', () => {
  it('an address past its share waits; another address does not', () => {
    const b = new ReplyBudget(100, 30);
    b.add('a', 20);
    expect(b.full('a')).toBe(false);
    b.add('a', 20);
    expect(b.full('a')).toBe(true);
    expect(b.full('b')).toBe(false);
    b.sent('a', 20);
    expect(b.full('a')).toBe(false);
    expect(b.of('a')).toBe(20);
  });

  it('past the server\'s budget, only addresses holding unsent answers wait', () => {
    const b = new ReplyBudget(50, 30);
    for (const a of ['a', 'b', 'c']) b.add(a, 25);
    expect(b.unsent).toBe(75);
    expect(b.full('a')).toBe(true);
    expect(b.full('bystander')).toBe(false);
    for (const a of ['a', 'b', 'c']) b.sent(a, 25);
    expect(b.unsent).toBe(0);
    expect(b.full('a')).toBe(false);
    expect(b.of('a')).toBe(0);
  });
});
