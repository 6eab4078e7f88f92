import { useEffect, useState } from 'react';
import { secondTicker, type SecondTicker } from '../src/live/ticker.js';

/**
 * Wall-clock time, ticking once a second on the second boundary — on the shared ticker, so that live
 * data held for the tick is drawn in the same frame. `now` is injectable for tests.
 */
export function useClock(now: () => number = Date.now, ticker: SecondTicker = secondTicker): number {
  const [t, setT] = useState(now);
  useEffect(() => ticker.onEvery(() => setT(now())), [now, ticker]);
  return t;
}

export function hhmmss(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
