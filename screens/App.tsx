import { useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { Environment } from '../src/config/schema.js';
import { confirmAccepted, restartPrompt } from '../src/containers/actions.js';
import { ALL_SOURCES, LogsModel } from '../src/live/logs-model.js';
import { LiveStore } from '../src/live/store.js';
import { PANE_TITLES } from '../src/panes/pane-ids.js';
import { containersView, healthView, logsView, metricsView } from '../src/panes/views.js';
import { BottomBar, TopBar } from './Bars.js';
import { HelpOverlay } from './HelpOverlay.js';
import { activeKeys, bottomKeys, intentFor, keyName, type KeyContext, type KeyMap } from './keymap.js';
import { BOTTOM_BAR_ROWS, paneRects, tooSmall, TOP_BAR_ROWS } from './layout.js';
import { PaneFrame } from './PaneFrame.js';
import { ContainersBody } from './panes/ContainersBody.js';
import { HealthBody } from './panes/HealthBody.js';
import { LogsBody } from './panes/LogsBody.js';
import { MetricsBody } from './panes/MetricsBody.js';
import { ConfirmBox, FilterLine } from './PromptViews.js';
import { initialShell, shellReducer, type Intent, type ShellData, type ShellState } from './shell-state.js';
import { hhmmss, useClock } from './useClock.js';
import { useTerminalSize } from './useTerminalSize.js';

/** What the console can do to the world; the live session provides it. */
export interface ConsoleActions {
  /** Starts (or reuses) a log source for the container; returns the source name to show. */
  followContainer(name: string): string;
  restartContainer(name: string): Promise<{ ok: boolean; error?: string; durationMs: number }>;
}

export interface AppProps {
  project: string;
  envName: string;
  env: Environment;
  production: boolean;
  readonly: boolean;
  keys: KeyMap;
  /** The live panes' state; without one, panes show what is configured and wait. */
  store?: Pick<LiveStore, 'getState' | 'subscribe'>;
  logs?: LogsModel;
  actions?: ConsoleActions;
  /** Called once when the user leaves: `quit` (q) or `interrupt` (Ctrl-C). */
  onExit: (how: 'quit' | 'interrupt') => void;
  size?: { cols: number; rows: number };
  now?: () => number;
  /** Draws charts for the metrics pane (braille lines); none in tests that do not care. */
  chart?: (points: { t: number; v: number | null }[], width: number, height: number) => string[];
}

export function App(props: AppProps) {
  const { cols, rows } = useTerminalSize(props.size);
  const { exit } = useApp();
  const time = useClock(props.now);
  const store = useMemo(() => props.store ?? new LiveStore(props.env), [props.store, props.env]);
  const logs = useMemo(() => props.logs ?? new LogsModel(props.env.logs.map((l) => l.name)), [props.logs, props.env]);
  const live = useSyncExternalStore(store.subscribe, store.getState);
  const rects = useMemo(() => paneRects(cols, rows), [cols, rows]);

  // The reducer needs a view of the data (buffer sizes, container count) at the moment of the key.
  const dataRef = useRef<ShellData>({ logSources: [ALL_SOURCES], logView: { size: 0, offset: 0, rows: 1 }, containerCount: 0 });
  // The shell state lives in a ref as well, so that several keys in one input chunk (a fast typist,
  // tmux send-keys, a paste) each see the state the previous one left.
  const shellRef = useRef<ShellState>(initialShell);
  const [shell, setShell] = useState<ShellState>(initialShell);
  const dispatch = (i: Intent) => {
    shellRef.current = shellReducer(shellRef.current, i, dataRef.current);
    setShell(shellRef.current);
  };

  const buffer = logs.buffer(shell.logs.source);
  const logRect = rects[1];
  const logRows = Math.max(1, (logRect?.height ?? 4) - 3);
  dataRef.current = {
    logSources: logs.names,
    logView: { size: buffer.viewSize, offset: buffer.viewOffset, rows: logRows },
    containerCount: live.containers.rows.length,
  };
  const keyCtx: KeyContext = { readonly: props.readonly, filterActive: buffer.filter !== null, logRows };
  const say = (text: string, error = false) => dispatch({ type: 'message', text, error });

  function perform(intent: Intent): void {
    const shell = shellRef.current;
    const row = live.containers.rows[Math.min(shell.containers.selected, Math.max(0, live.containers.rows.length - 1))];
    switch (intent.type) {
      case 'show-container-logs':
        if (!row) return say('no container selected', true);
        if (!props.actions) return say('no live session', true);
        dispatch({ type: 'logs-show', source: props.actions.followContainer(row.name) });
        return;
      case 'restart-container': {
        if (!row) return say('no container selected', true);
        const p = restartPrompt(row.name, { name: props.envName, production: props.production });
        dispatch({ type: 'open-confirm', prompt: { kind: 'confirm', action: 'restart', subject: row.name, title: p.title, body: p.body, typeToConfirm: p.typeToConfirm, text: '' } });
        return;
      }
      case 'clear-filter':
        for (const b of logs.buffers.values()) b.setFilter(null);
        say('filter cleared');
        return;
      case 'prompt-submit': {
        const prompt = shell.prompt;
        dispatch(intent);
        if (prompt?.kind === 'filter') {
          let error: string | undefined;
          for (const b of logs.buffers.values()) {
            const r = b.setFilter(prompt.text === '' ? null : prompt.text);
            if (!r.ok) error = r.error;
          }
          if (error) say(`filter refused: ${error}`, true);
          return;
        }
        if (prompt?.kind === 'confirm') {
          const accepted = confirmAccepted({ title: prompt.title, body: prompt.body, typeToConfirm: prompt.typeToConfirm }, prompt.text);
          if (!accepted) return say(`not confirmed: nothing was done to ${prompt.subject}`, true);
          if (!props.actions) return say('no live session', true);
          say(`restarting ${prompt.subject}…`);
          void props.actions.restartContainer(prompt.subject).then((r) =>
            r.ok ? say(`restarted ${prompt.subject} in ${(r.durationMs / 1000).toFixed(1)}s`) : say(`restart of ${prompt.subject} failed: ${r.error}`, true),
          );
        }
        return;
      }
      case 'prompt-cancel':
        dispatch(intent);
        if (shell.prompt?.kind === 'confirm') say(`cancelled: nothing was done to ${shell.prompt.subject}`);
        return;
      default:
        dispatch(intent);
    }
  }

  const leaving = useRef(false);
  const handle = (name: string) => {
    if (leaving.current) return;
    const intent = intentFor(name, shellRef.current, props.keys, keyCtx);
    if (!intent) return;
    if (intent.type === 'quit' || intent.type === 'interrupt') {
      leaving.current = true;
      props.onExit(intent.type);
      exit();
      return;
    }
    perform(intent);
  };

  useInput((input, key) => {
    const name = keyName(input, key);
    // One chunk of input can hold several keypresses (a fast typist, tmux send-keys, a paste):
    // outside a prompt each character is a key; inside one, text is typed and Enter submits.
    if (name === input && input.length > 1 && !key.ctrl && !key.meta) {
      for (const part of input.split(/(\r\n|\r|\n)/)) {
        if (part === '') continue;
        if (/^[\r\n]+$/.test(part)) handle('enter');
        else if (shellRef.current.prompt) handle(part);
        else for (const ch of part) handle(ch);
      }
      return;
    }
    handle(name);
  });

  const keys = activeKeys(shell, props.keys, keyCtx);
  const barKeys = bottomKeys(shell, props.keys, keyCtx);

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
  const logsHeader = logsView(live, ctx);
  const body = { left: 0, top: TOP_BAR_ROWS, width: cols, height: rows - TOP_BAR_ROWS - BOTTOM_BAR_ROWS };
  const frame = (i: number, id: keyof typeof PANE_TITLES) => ({ index: i, rect: rects[i]!, focused: shell.focus === id, title: PANE_TITLES[id] });
  const logExtra = [
    shell.logs.source !== ALL_SOURCES || logs.names.length > 2 ? `[${shell.logs.source}]` : '',
    shell.logs.follow ? 'follow' : 'paused',
    buffer.filter ? `filter ${buffer.filter.query ?? ''}: ${buffer.matchCount} match${buffer.matchCount === 1 ? '' : 'es'}` : '',
    live.logs.dropped > 0 ? `${live.logs.dropped} dropped` : '',
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <Box width={cols} height={rows} flexDirection="column">
      <TopBar width={cols} project={props.project} env={props.envName} production={props.production} readonly={props.readonly} clock={hhmmss(time)} />
      <Box height={body.height} width={cols} />
      {shell.prompt?.kind === 'filter' ? <FilterLine width={cols} text={shell.prompt.text} /> : <BottomBar width={cols} keys={barKeys} message={shell.message} />}
      {shell.overlay === 'help' ? (
        <HelpOverlay rect={body} keys={keys} />
      ) : (
        <>
          <PaneFrame {...frame(0, 'containers')} header={containers}>
            {({ width, rows: n }) => (
              <ContainersBody rows={containers.rows} width={width} maxRows={n} now={time} selected={shell.focus === 'containers' ? shell.containers.selected : undefined} />
            )}
          </PaneFrame>
          <PaneFrame {...frame(1, 'logs')} header={logsHeader} extra={logExtra}>
            {({ width, rows: n }) => <LogsBody buffer={buffer} view={shell.logs} width={width} rows={n} showSource={shell.logs.source === ALL_SOURCES && logs.names.length > 2} />}
          </PaneFrame>
          <PaneFrame {...frame(2, 'health')} header={health}>
            {({ width, rows: n }) => <HealthBody rows={health.rows} width={width} maxRows={n} />}
          </PaneFrame>
          <PaneFrame {...frame(3, 'metrics')} header={metrics}>
            {({ width, rows: n }) => <MetricsBody names={metrics.names} state={live} width={width} maxRows={n} chart={props.chart} />}
          </PaneFrame>
          {shell.prompt?.kind === 'confirm' ? <ConfirmBox rect={body} prompt={shell.prompt} /> : null}
        </>
      )}
    </Box>
  );
}
