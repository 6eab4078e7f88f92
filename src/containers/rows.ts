import type { ContainerRow } from '../live/events.js';
import { naturalCompare } from '../util/text-order.js';

/**
 * Pure: Docker Engine API answers → container rows for the containers pane.
 *
 * The input types below are the parts of the Engine's JSON we read (dockerode's
 * `ContainerInfo`, `ContainerInspectInfo` and `ContainerStats` are assignable to them), with
 * everything the Engine may leave out marked optional.
 */

/** One entry of `GET /containers/json?all=1` (dockerode `listContainers({all: true})`). */
export interface ListEntry {
  Id: string;
  Names?: string[] | null;
  /** The image as the user named it (`shop/api:1.4`), or its id (`sha256:…`) when the container was made from an id or its tag has since moved. */
  Image?: string;
  ImageID?: string;
  Labels?: Record<string, string> | null;
  /** created | running | paused | restarting | removing | exited | dead */
  State?: string;
  /** `Up 3 minutes (healthy)`, `Exited (137) 2 seconds ago`. */
  Status?: string;
}

/** The parts of `GET /containers/{id}/json` we use. */
export interface InspectData {
  Id?: string;
  RestartCount?: number;
  Config?: { Image?: string } | null;
  State?: {
    Status?: string;
    StartedAt?: string;
    ExitCode?: number;
    OOMKilled?: boolean;
    Health?: { Status?: string } | null;
  } | null;
}

/** The parts of one `GET /containers/{id}/stats?stream=false&one-shot=true` answer we use. */
export interface StatsData {
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null } | null;
    system_cpu_usage?: number;
    online_cpus?: number;
  } | null;
  memory_stats?: {
    usage?: number;
    stats?: Record<string, number | undefined> | null;
  } | null;
}

/**
 * A container row with what the pane may show beyond `ContainerRow`: the exit code of an exited
 * container and whether the kernel killed it for memory. (Plain `ContainerRow` readers ignore them.)
 */
export interface ContainerRowDetail extends ContainerRow {
  exitCode?: number;
  oomKilled?: boolean;
}

export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';

/** Container name from the list entry: the first name, without its leading slash; else the short id. */
export function containerName(entry: Pick<ListEntry, 'Id' | 'Names'>): string {
  const names = entry.Names ?? [];
  // Legacy links add names like `/other/alias`; the container's own name has a single slash.
  const own = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0];
  return own ? own.replace(/^\//, '') : shortId(entry.Id);
}

/** The 12 hex digits `docker ps` shows for an id (with or without `sha256:`). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const ID_RE = /^(sha256:)?[0-9a-f]{64}$/;

/**
 * Splits an image reference into repository and tag: `registry:5000/shop/api:1.4` →
 * `{image: 'registry:5000/shop/api', tag: '1.4'}`; no tag → `latest`; a digest-only reference
 * (`api@sha256:…`) → the digest's short form; an image id (`sha256:…`) → its short id for both.
 */
export function imageAndTag(ref: string | undefined, imageId?: string): { image: string; tag: string } {
  const r = (ref ?? '').trim();
  if (r === '' || ID_RE.test(r)) {
    const id = shortId(r || imageId || '');
    return { image: id || '?', tag: id || '?' };
  }
  let name = r;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { image: name.slice(0, colon), tag: name.slice(colon + 1) };
  if (digest) return { image: name, tag: shortId(digest.replace(/^[a-z0-9]+:/, '')) };
  return { image: name, tag: 'latest' };
}

/** Epoch ms from the Engine's RFC 3339 time; undefined for the zero time `0001-01-01T00:00:00Z`. */
export function parseEngineTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/** CPU counters of one stats sample, or undefined when the container was not running (all zero). */
export interface CpuSample {
  /** Container CPU time, ns. */
  total: number;
  /** Host CPU time (all CPUs), ns. */
  system: number;
  onlineCpus: number;
}

export function cpuSample(s: StatsData | undefined): CpuSample | undefined {
  const c = s?.cpu_stats;
  const total = c?.cpu_usage?.total_usage;
  const system = c?.system_cpu_usage;
  if (typeof total !== 'number' || typeof system !== 'number' || system <= 0) return undefined;
  const online = c?.online_cpus || c?.cpu_usage?.percpu_usage?.length || 1;
  return { total, system, onlineCpus: online };
}

/**
 * CPU % like `docker stats` (100 = one full core): container CPU time delta over host CPU time
 * delta, times the number of online CPUs. Undefined when the two samples cannot be compared (no
 * host time elapsed, or the container's counter went backwards — it was restarted in between).
 */
export function cpuPercent(prev: CpuSample | undefined, cur: CpuSample | undefined): number | undefined {
  if (!prev || !cur) return undefined;
  const cpuDelta = cur.total - prev.total;
  const systemDelta = cur.system - prev.system;
  if (systemDelta <= 0 || cpuDelta < 0) return undefined;
  return (cpuDelta / systemDelta) * cur.onlineCpus * 100;
}

/**
 * Memory in use like `docker stats`: usage minus the page cache that can be dropped —
 * `total_inactive_file` (cgroup v1), `inactive_file` (cgroup v2), or `cache` (older engines).
 * Undefined when the sample has no usage (container not running).
 */
export function memoryUsage(s: StatsData | undefined): number | undefined {
  const m = s?.memory_stats;
  const usage = m?.usage;
  if (typeof usage !== 'number') return undefined;
  const st = m?.stats ?? {};
  const cache = st['total_inactive_file'] ?? st['inactive_file'] ?? st['cache'];
  return typeof cache === 'number' && cache < usage ? usage - cache : usage;
}

/** States in which the container's process exists, so it has a start time, a health and stats. */
function isUp(state: string): boolean {
  return state === 'running' || state === 'paused';
}

/**
 * One row. `inspect` brings restarts, start time and health; `prevStats` and `stats` are two
 * successive samples of the same run of the container (CPU needs both; memory needs the latest).
 */
export function containerRow(
  entry: ListEntry,
  inspect?: InspectData,
  prevStats?: StatsData,
  stats?: StatsData,
): ContainerRowDetail {
  const state = entry.State || inspect?.State?.Status || 'unknown';
  const { image, tag } = imageAndTag(entry.Image || inspect?.Config?.Image, entry.ImageID);
  const row: ContainerRowDetail = {
    id: entry.Id,
    name: containerName(entry),
    state,
    restarts: inspect?.RestartCount ?? 0,
    image,
    tag,
  };
  const service = entry.Labels?.[SERVICE_LABEL];
  if (service) row.service = service;
  if (isUp(state)) {
    const startedAt = parseEngineTime(inspect?.State?.StartedAt);
    if (startedAt !== undefined) row.startedAt = startedAt;
    const health = inspect?.State?.Health?.Status;
    if (health && health !== 'none') row.health = health;
    const cpu = cpuPercent(cpuSample(prevStats), cpuSample(stats));
    if (cpu !== undefined) row.cpuPct = cpu;
    const mem = memoryUsage(stats);
    if (mem !== undefined) row.memBytes = mem;
  } else if (state === 'exited' || state === 'dead') {
    const code = inspect?.State?.ExitCode ?? exitCodeFromStatus(entry.Status);
    if (code !== undefined) row.exitCode = code;
    if (inspect?.State?.OOMKilled) row.oomKilled = true;
  }
  return row;
}

/** `Exited (137) 2 seconds ago` → 137. */
export function exitCodeFromStatus(status: string | undefined): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status ?? '');
  return m ? Number(m[1]) : undefined;
}

/** By compose service (containers without one last), then by name; `api-2` before `api-10`. */
export function compareRows(a: ContainerRow, b: ContainerRow): number {
  if ((a.service === undefined) !== (b.service === undefined)) return a.service === undefined ? 1 : -1;
  return naturalCompare(a.service ?? '', b.service ?? '') || naturalCompare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * All rows, sorted. The maps are keyed by container id; an entry without inspect data still gets
 * a row (restarts 0, no start time); stats are looked up only for running containers.
 */
export function containerRows(
  entries: readonly ListEntry[],
  inspects: ReadonlyMap<string, InspectData>,
  prevStats: ReadonlyMap<string, StatsData> = new Map(),
  stats: ReadonlyMap<string, StatsData> = new Map(),
): ContainerRowDetail[] {
  return entries
    .map((e) => containerRow(e, inspects.get(e.Id), prevStats.get(e.Id), stats.get(e.Id)))
    .sort(compareRows);
}
