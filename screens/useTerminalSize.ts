import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export function useTerminalSize(fixed?: { cols: number; rows: number }): { cols: number; rows: number } {
  const stdout = useStdout().stdout as NodeJS.WriteStream;
  const read = () => fixed ?? { cols: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return fixed ?? size;
}
