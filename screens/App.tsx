import { useMemo, useReducer, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { Environment } from '../src/config/schema.js';
import { LiveStore } from '../src/live/store.js';
import { PANE_TITLES } from '../src/panes/pane-ids.js';
import { containersView, healthView, logsView, metricsView } from '../src/panes/views.js';
import { BottomBar, TopBar } from './Bars.js';
import { HelpOverlay } from './HelpOverlay.js';
import { activeKeys, intentFor, keyName, type KeyMap } from './keymap.js';
import { BOTTOM_BAR_ROWS, paneRects, tooSmall, TOP_BAR_ROWS } from './layout.js';
import { PaneFrame } from './PaneFrame.js';
import { ContainersBody } from './panes/ContainersBody.js';
import { HealthBody } from './panes/HealthBody.js';
import { MetricsBody } from './panes/MetricsBody.js';
import { initialShell, shellReducer } from './shell-state.js';
import { hhmmss, useClock } from './useClock.js';
import { useTerminalSize } from './useTerminalSize.js';

export interface AppProps {
  project: string;
  envName: string;
  env: Environment;
  production: boolean;
  readonly: boolean;
  keys: KeyMap;
  /** The live panes' state; without one, panes show what is configured and wait. */
  store?: Pick<LiveStore, 'getState' | 'subscribe'>;
  /** Called once when the user leaves: `quit` (q) or `interrupt` (Ctrl-C). */
  onExit: (how: 'quit' | 'interrupt') => void;
  size?: { cols: number; rows: number };
  now?: () => number;
}

export function App(props: AppProps) {
  const { cols, rows } = useTerminalSize(props.size);
  const [shell, dispatch] = useReducer(shellReducer, initialShell);
  const { exit } = useApp();
  const time = useClock(props.now);
  const store = useMemo(() => props.store ?? new LiveStore(props.env), [props.store, props.env]);
  const live = useSyncExternalStore(store.subscribe, store.getState);

  useInput((input, key) => {
    const intent = intentFor(keyName(input, key), shell, props.keys);
    if (!intent) return;
    if (intent.type === 'quit' || intent.type === 'interrupt') {
      props.onExit(intent.type);
      exit();
      return;
    }
    dispatch(intent);
  });

  const keys = useMemo(() => activeKeys(shell, props.keys), [shell, props.keys]);
  const rects = useMemo(() => paneRects(cols, rows), [cols, rows]);

  if (tooSmall(cols, rows)) {
    return (
      <Box width={cols} height={rows} flexDirection="column">
        <Text wrap="truncate-end">hubops needs at least 40x10;</Text>
        <Text wrap="truncate-end">
          this is {cols}x{rows}. q quits.
        </Text>
      </Box>
    );
  }

  const ctx = { env: props.env, now: time, refreshMs: props.env.refresh };
  const containers = containersView(live, ctx);
  const health = healthView(live, ctx);
  const metrics = metricsView(live, ctx);
  const logs = logsView(live, ctx);
  const body = { left: 0, top: TOP_BAR_ROWS, width: cols, height: rows - TOP_BAR_ROWS - BOTTOM_BAR_ROWS };
  const frame = (i: number, id: keyof typeof PANE_TITLES) => ({ index: i, rect: rects[i]!, focused: shell.focus === id, title: PANE_TITLES[id] });

  return (
    <Box width={cols} height={rows} flexDirection="column">
      <TopBar width={cols} project={props.project} env={props.envName} production={props.production} readonly={props.readonly} clock={hhmmss(time)} />
      <Box height={body.height} width={cols} />
      <BottomBar width={cols} keys={keys} />
      {shell.overlay === 'help' ? (
        <HelpOverlay rect={body} keys={keys} />
      ) : (
        <>
          <PaneFrame {...frame(0, 'containers')} header={containers}>
            {({ width, rows: n }) => <ContainersBody rows={containers.rows} width={width} maxRows={n} now={time} />}
          </PaneFrame>
          <PaneFrame {...frame(1, 'logs')} header={logs}>
            {({ rows: n }) =>
              props.env.logs.slice(0, n).map((l) => (
                <Text key={l.name} wrap="truncate-end" dimColor>
                  {l.name}: waiting for lines
                </Text>
              ))
            }
          </PaneFrame>
          <PaneFrame {...frame(2, 'health')} header={health}>
            {({ width, rows: n }) => <HealthBody rows={health.rows} width={width} maxRows={n} />}
          </PaneFrame>
          <PaneFrame {...frame(3, 'metrics')} header={metrics}>
            {({ width, rows: n }) => <MetricsBody names={metrics.names} state={live} width={width} maxRows={n} />}
          </PaneFrame>
        </>
      )}
    </Box>
  );
}
