import { memo, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { Environment } from '../src/config/schema.js';
import { confirmAccepted, restartPrompt } from '../src/containers/actions.js';
import { ALL_SOURCES, LogsModel } from '../src/live/logs-model.js';
import { LiveStore } from '../src/live/store.js';
import { PANE_ORDER, PANE_TITLES, type PaneId } from '../src/panes/pane-ids.js';
import { containersView, healthView, logsView, metricsView, type PaneHeader } from '../src/panes/views.js';
import { BottomBar, TopBar } from './Bars.js';
import { HelpOverlay } from './HelpOverlay.js';
import { activeKeys, bottomKeys, displayKey, intentFor, keyName, type KeyContext, type KeyMap } from './keymap.js';
import { consoleLayout, tooSmall } from './layout.js';
import { incidentKeyState, type IncidentController, type IncidentSnapshot } from './incident/controller.js';
import { IncidentBar } from './incident/IncidentBar.js';
import { IncidentPanel } from './incident/IncidentPanel.js';
import { PaneFrame } from './PaneFrame.js';
import { ContainersBody } from './panes/ContainersBody.js';
import { HealthBody } from './panes/HealthBody.js';
import { LogsBody } from './panes/LogsBody.js';
import { MetricsBody } from './panes/MetricsBody.js';
import { ConfirmBox, FilterLine, InputBox, MenuBox, WelcomeOverlay } from './PromptViews.js';
import type { ReleaseController, ReleaseSnapshot } from './release/controller.js';
import { mmss, ReleasePanel } from './release/ReleasePanel.js';
import { initialShell, shellReducer, type Intent, type ShellData, type ShellState, type MenuOption } from './shell-state.js';
import { hhmmss, useClock } from './useClock.js';
import { useTerminalSize } from './useTerminalSize.js';
import { groupThousands } from '../src/util/text-order.js';

/** What the console can do to the world; the live session provides it. */
export interface ConsoleActions {
  /** Starts (or reuses) a log source for the container; returns the source name to show. */
  followContainer(name: string): string;
  restartContainer(name: string): Promise<{ ok: boolean; error?: string; durationMs: number }>;
  /** Which panes are on screen now (told on every change): hidden panes' sources stop polling. */
  showPanes?(panes: readonly PaneId[]): void;
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
  /** Incident mode (declare, runbooks, updates, resolve); without it those keys do not act. */
  incident?: IncidentController;
  /** A first message for the bottom bar (e.g. the incident that was resumed). */
  startMessage?: string;
  /** Show the one-screen overlay of the keys that matter until any key is pressed (first run). */
  firstRun?: { onDismiss: () => void };
  /** `hubops demo`: the faults the F menu offers, and how to inject one. */
  demo?: { faults: MenuOption[]; inject: (id: string) => Promise<string> };
  /** Release mode (D, the release panel); without it those keys do not act. */
  release?: ReleaseController;
}

/**
 * Draws `children()` again only when one of `deps` changed (Object.is): during a log flood the
 * store changes ten times a second but the containers, health and metrics panes do not, and their
 * views need not be built and reconciled again. The deps must name everything the pane shows.
 */
const Memo = memo(
  ({ children }: { deps: readonly unknown[]; children: () => ReactNode }) => <>{children()}</>,
  (a, b) => a.deps.length === b.deps.length && a.deps.every((d, i) => Object.is(d, b.deps[i])),
);

/** What a pane's header shows, as one value for Memo's deps. */
const headerKey = (h: PaneHeader): string => `${h.status}|${h.age ?? ''}|${h.notices.join('\n')}`;

const NO_INCIDENT = { subscribe: () => () => {}, getSnapshot: () => undefined };

export function App(props: AppProps) {
  const { cols, rows } = useTerminalSize(props.size);
  const { exit } = useApp();
  const time = useClock(props.now);
  const store = useMemo(() => props.store ?? new LiveStore(props.env), [props.store, props.env]);
  const logs = useMemo(() => props.logs ?? new LogsModel(props.env.logs.map((l) => l.name)), [props.logs, props.env]);
  const live = useSyncExternalStore(store.subscribe, store.getState);
  const ctrl = props.incident;
  const incident: IncidentSnapshot | undefined = useSyncExternalStore(ctrl?.subscribe ?? NO_INCIDENT.subscribe, ctrl?.getSnapshot ?? NO_INCIDENT.getSnapshot);
  const rel = props.release;
  const release: ReleaseSnapshot | undefined = useSyncExternalStore(rel?.subscribe ?? NO_INCIDENT.subscribe, rel?.getSnapshot ?? NO_INCIDENT.getSnapshot);
  const incidentPanelOpen = Boolean(incident && (incident.ui.panel.kind !== 'none' || incident.ui.form));
  const panelOpen = incidentPanelOpen || Boolean(release?.visible);
  const barRows = incident?.state ? 1 + (incident.banner ? 1 : 0) : 0;
  const layout = useMemo(() => consoleLayout(cols, rows, { barRows, panel: panelOpen }), [cols, rows, barRows, panelOpen]);
  const rects = layout.panes;

  // The reducer needs a view of the data (buffer sizes, container count) at the moment of the key.
  const dataRef = useRef<ShellData>({ logSources: [ALL_SOURCES], logView: { size: 0, offset: 0, rows: 1 }, containerCount: 0 });
  // The shell state lives in a ref as well, so that several keys in one input chunk (a fast typist,
  // tmux send-keys, a paste) each see the state the previous one left.
  const first: ShellState = props.startMessage ? { ...initialShell, message: { text: props.startMessage, error: /could not/.test(props.startMessage) } } : initialShell;
  const shellRef = useRef<ShellState>(first);
  const [shell, setShell] = useState<ShellState>(first);
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
  const releaseKeys = () =>
    rel
      ? {
          canStart: rel.enabled && !props.readonly && rel.getSnapshot().status !== 'running',
          keys: rel.activeKeys(),
          takes: (name: string) => rel.takes(name),
          closable: rel.getSnapshot().status === 'done' && rel.getSnapshot().visible,
        }
      : undefined;
  const keyCtx: KeyContext = { readonly: props.readonly, filterActive: buffer.filter !== null, logRows, incident: incident ? incidentKeyState(incident) : undefined, demo: props.demo !== undefined, release: releaseKeys() };
  // Several keys in one chunk: each must see what the previous one did to the incident UI.
  const keyCtxNow = (): KeyContext => ({ ...keyCtx, incident: ctrl ? incidentKeyState(ctrl.getSnapshot()) : undefined, release: releaseKeys() });
  const say = (text: string, error = false) => dispatch({ type: 'message', text, error });

  function injectFault(id: string): void {
    if (!props.demo) return;
    say(`injecting ${id}…`);
    void props.demo.inject(id).then((m) => say(m));
  }

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
        if (prompt?.kind === 'input' && prompt.action === 'release') {
          if (!rel) return;
          say(`release ${prompt.text.trim() || '(suggested bump)'} to ${props.envName}: pre-release gate…`);
          void rel.begin(prompt.text);
          return;
        }
        if (prompt?.kind === 'confirm' && prompt.action === 'fault') {
          if (!confirmAccepted({ title: prompt.title, body: prompt.body }, prompt.text)) return say(`not confirmed: no fault injected`, true);
          injectFault(prompt.subject);
          return;
        }
        if (prompt?.kind === 'confirm') {
          const accepted = confirmAccepted({ title: prompt.title, body: prompt.body, typeToConfirm: prompt.typeToConfirm }, prompt.text);
          if (!accepted) return say(`not confirmed: nothing was done to ${prompt.subject}`, true);
          if (!props.actions) return say('no live session', true);
          say(`restarting ${prompt.subject}…`);
          void props.actions.restartContainer(prompt.subject).then((r) => {
            ctrl?.recordAction('restart', prompt.subject, r.ok, r.ok ? `in ${(r.durationMs / 1000).toFixed(1)}s` : (r.error ?? ''));
            if (r.ok) say(`restarted ${prompt.subject} in ${(r.durationMs / 1000).toFixed(1)}s`);
            else say(`restart of ${prompt.subject} failed: ${r.error}`, true);
          });
        }
        return;
      }
      case 'open-faults':
        if (!props.demo) return;
        dispatch({ type: 'open-menu', prompt: { kind: 'menu', title: 'Inject a fault into the demo stack', options: props.demo.faults, text: '' } });
        return;
      case 'prompt-type': {
        const prompt = shell.prompt;
        if (prompt?.kind !== 'menu') return dispatch(intent);
        const option = prompt.options.find((o) => o.key === intent.text);
        if (!option) return;
        dispatch({ type: 'prompt-cancel' });
        if (option.destructive) {
          dispatch({ type: 'open-confirm', prompt: { kind: 'confirm', action: 'fault', subject: option.id, title: `${option.label}?`, body: option.description ?? '', text: '' } });
          return;
        }
        injectFault(option.id);
        return;
      }
      case 'prompt-cancel':
        dispatch(intent);
        if (shell.prompt?.kind === 'confirm') say(`cancelled: nothing was done to ${shell.prompt.subject}`);
        return;
      case 'incident':
        ctrl?.perform(intent.op);
        return;
      case 'release-start':
        dispatch({
          type: 'open-input',
          prompt: { kind: 'input', action: 'release', title: `Release to ${props.envName}${props.production ? ' (production)' : ''}`, hint: 'Version to release (e.g. 1.4.0, or major / minor / patch). Empty: the bump the commits suggest. The pre-release gate comes next: nothing is deployed before A.', text: '' },
        });
        return;
      case 'release-key':
        rel?.key(intent.name);
        return;
      case 'release-close':
        rel?.close();
        return;
      case 'incident-key':
        ctrl?.key(intent.name);
        return;
      default:
        dispatch(intent);
    }
  }

  const leaving = useRef(false);
  const leave = (how: 'quit' | 'interrupt') => {
    if (leaving.current) return;
    leaving.current = true;
    props.onExit(how);
    exit();
  };
  useEffect(() => {
    if (!ctrl) return;
    ctrl.connect({ say: (text, error) => dispatch({ type: 'message', text, error }), leave: () => leave('quit') });
    ctrl.start();
  }, [ctrl]);
  // The end of a release run is told in the bottom bar as well (it replaces any older message).
  const releaseStatus = release?.status;
  useEffect(() => {
    if (releaseStatus !== 'done' || !rel) return;
    const r = rel.getSnapshot();
    if (r.verdict) say(`release ${r.version ?? ''}: ${r.verdict.verdict}`, !r.verdict.verdict.startsWith('Released'));
    else if (r.error) say(`release failed: ${r.error}`, true);
  }, [releaseStatus]);
  const [welcome, setWelcome] = useState(props.firstRun !== undefined);
  const handle = (name: string) => {
    if (leaving.current) return;
    if (welcome) {
      // Any key dismisses the first-run overlay, and does nothing else.
      setWelcome(false);
      props.firstRun?.onDismiss();
      if (name !== 'ctrl-c') return;
    }
    const intent = intentFor(name === ' ' ? 'space' : name, shellRef.current, props.keys, keyCtxNow());
    if (!intent) return;
    // q while a release runs here is refused (its gates block); Ctrl-C still leaves, and
    // `hubops release --resume` picks the release up from its journal.
    if (intent.type === 'quit' && rel?.getSnapshot().status === 'running') {
      say('a release is running: answer its gates or let it finish (Ctrl-C leaves; hubops release --resume picks it up)', true);
      return;
    }
    // q while an incident is open here asks first; Ctrl-C never does.
    if (intent.type === 'quit' && ctrl?.askBeforeQuit()) return;
    if (intent.type === 'quit' || intent.type === 'interrupt') return leave(intent.type);
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
        else if (shellRef.current.prompt || (ctrl?.getSnapshot().ui.form && !rel?.getSnapshot().question)) handle(part);
        else for (const ch of part) handle(ch);
      }
      return;
    }
    handle(name);
  });

  // Help lists what works on the screen underneath it, and how to close it.
  const keys = [...activeKeys({ ...shell, overlay: 'none' }, props.keys, keyCtx), { key: displayKey(props.keys.close), label: 'close this help' }];
  // The clock ticks each second; an incident declared since is never shown as started in the future.
  const clock = incident?.state && ctrl ? ctrl.clock(Math.max(time, Date.parse(incident.state.startedAt))) : undefined;
  const barKeys = bottomKeys(shell, props.keys, keyCtx);
  const watchLeft = rel?.watchLeftMs(time);
  const releaseBar = release && release.status !== 'idle' && (release.status === 'running' || release.visible) ? `release ${release.version ?? '…'} · ${release.verdict?.verdict ?? release.phase}${watchLeft !== undefined ? ` · window ${mmss(watchLeft)} left` : ''}` : undefined;

  // The panes are drawn unless an overlay covers them or the terminal is too small; a pane needs
  // its title row (its status) to count as shown.
  const panesCovered = welcome || shell.overlay === 'help' || tooSmall(cols, rows);
  const shownPanes = panesCovered ? '' : PANE_ORDER.filter((_, i) => (rects[i]?.height ?? 0) >= 3).join(',');
  const actionsRef = useRef(props.actions);
  actionsRef.current = props.actions;
  useEffect(() => {
    actionsRef.current?.showPanes?.(shownPanes === '' ? [] : (shownPanes.split(',') as PaneId[]));
  }, [shownPanes]);

  // What every pane's view depends on besides its own slice of the live state.
  const ctxDeps = useMemo(() => [props.env, time, props.demo !== undefined], [props.env, time, props.demo !== undefined]);

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

  const ctx = { env: props.env, now: time, refreshMs: props.env.refresh, processRows: props.demo !== undefined };
  const logsHeader = logsView(live, ctx);
  const metrics = metricsView(live, ctx);
  const body = layout.body;
  const frame = (i: number, id: keyof typeof PANE_TITLES) => ({ index: i, rect: rects[i]!, focused: shell.focus === id, title: PANE_TITLES[id] });
  const logExtra = [
    // Short enough for a 36-column pane at 80x24: what differs from the default is what is said.
    shell.logs.source !== ALL_SOURCES ? `[${shell.logs.source}]` : '',
    shell.logs.follow ? '' : 'paused',
    buffer.filter ? `${buffer.filter.query?.startsWith('/') ? buffer.filter.query : `"${buffer.filter.query ?? ''}"`} ${buffer.matchCount} match${buffer.matchCount === 1 ? '' : 'es'}` : '',
    live.logs.dropped > 0 ? `${live.logs.dropped} dropped` : '',
    // Lines received for the shown source (what the benchmark compares with what was written).
    buffer.total > 0 ? `${groupThousands(buffer.total)} lines` : '',
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <Box width={cols} height={rows} flexDirection="column">
      <TopBar width={cols} project={props.project} env={props.envName} production={props.production} readonly={props.readonly} clock={hhmmss(time)} release={releaseBar} />
      {incident?.state && clock ? <IncidentBar width={cols} state={incident.state} clock={clock} banner={incident.banner} /> : null}
      <Box height={body.height} width={cols} />
      {shell.prompt?.kind === 'filter' ? <FilterLine width={cols} text={shell.prompt.text} /> : <BottomBar width={cols} keys={barKeys} message={shell.message} />}
      {welcome ? (
        <WelcomeOverlay rect={body} demo={props.demo !== undefined} />
      ) : shell.overlay === 'help' ? (
        <HelpOverlay rect={body} keys={keys} />
      ) : (
        <>
          <Memo deps={[live.containers, live.errors.containers, live.link, ctxDeps, rects[0], shell.focus === 'containers', shell.containers.selected]}>
            {() => {
              const containers = containersView(live, ctx);
              return (
                <PaneFrame {...frame(0, 'containers')} header={containers}>
                  {({ width, rows: n }) => (
                    <ContainersBody rows={containers.rows} width={width} maxRows={n} now={time} selected={shell.focus === 'containers' ? shell.containers.selected : undefined} />
                  )}
                </PaneFrame>
              );
            }}
          </Memo>
          {/* Log rows do not depend on the clock: redrawn when the buffer, the view or the header changes. */}
          <Memo deps={[buffer, buffer.version, shell.logs, headerKey(logsHeader), logExtra, logs.names.length, rects[1], shell.focus === 'logs']}>
            {() => (
              <PaneFrame {...frame(1, 'logs')} header={logsHeader} extra={logExtra}>
                {({ width, rows: n }) => <LogsBody buffer={buffer} view={shell.logs} width={width} rows={n} showSource={shell.logs.source === ALL_SOURCES && logs.names.length > 2} />}
              </PaneFrame>
            )}
          </Memo>
          <Memo deps={[live.health, live.errors.health, live.link, ctxDeps, rects[2], shell.focus === 'health']}>
            {() => {
              const health = healthView(live, ctx);
              return <PaneFrame {...frame(2, 'health')} header={health}>{({ rows: n }) => <HealthBody rows={health.rows} maxRows={n} />}</PaneFrame>;
            }}
          </Memo>
          {/* The clock does not redraw charts: the pane depends on time only through its header. */}
          <Memo deps={[live.metrics, headerKey(metrics), props.env, rects[3], shell.focus === 'metrics', props.chart]}>
            {() => {
              return (
                <PaneFrame {...frame(3, 'metrics')} header={metrics}>
                  {({ width, rows: n }) => <MetricsBody names={metrics.names} state={live} width={width} maxRows={n} chart={props.chart} />}
                </PaneFrame>
              );
            }}
          </Memo>
          {release?.visible && layout.panel ? <ReleasePanel rect={layout.panel} snapshot={release} now={time} incidentHidden={incidentPanelOpen} thresholds={rel?.thresholds} /> : null}
          {!release?.visible && incident && layout.panel && ctrl ? <IncidentPanel rect={layout.panel} snapshot={incident} ranked={ctrl.ranked()} now={time} webhook={ctrl.deps.webhook} /> : null}
          {shell.prompt?.kind === 'confirm' ? <ConfirmBox rect={body} prompt={shell.prompt} /> : null}
          {shell.prompt?.kind === 'menu' ? <MenuBox rect={body} prompt={shell.prompt} /> : null}
          {shell.prompt?.kind === 'input' ? <InputBox rect={body} prompt={shell.prompt} /> : null}
        </>
      )}
    </Box>
  );
}
