import { useEffect, useState } from 'react';

/** Wall-clock time, ticking once a second on the second boundary. `now` is injectable for tests. */
export function useClock(now: () => number = Date.now): number {
  const [t, setT] = useState(now);
  useEffect(() => {
    let timer: NodeJS.Timeout;
    const schedule = () => {
      timer = setTimeout(() => {
        setT(now());
        schedule();
      }, 1000 - (now() % 1000) + 5);
    };
    schedule();
    return () => clearTimeout(timer);
  }, [now]);
  return t;
}

export function hhmmss(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
