import { describe, expect, it } from 'vitest';
import {
  compareRows,
  containerName,
  containerRow,
  containerRows,
  cpuPercent,
  cpuSample,
  exitCodeFromStatus,
  imageAndTag,
  memoryUsage,
  parseEngineTime,
  type InspectData,
  type ListEntry,
  type StatsData,
} from '../../src/containers/rows.js';

// Captured from docker.io 20.10.24 (cgroup v1, 2 CPUs) on this machine: a busy loop (shop-api-1),
// a container that exited with code 3 (shop-worker-1), and one made from an image id with a
// health check (byid). Abridged to the fields hubops reads.
const LIST_JSON = [
  {
    "Id": "619a68b165e04cfcddf9537699c21dcd93f74380bb66232081b0d64144475637",
    "Names": [
      "/byid"
    ],
    "Image": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "ImageID": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "Command": "sleep 1000",
    "Created": 1795431041,
    "Labels": {},
    "State": "running",
    "Status": "Up 2 seconds (healthy)"
  },
  {
    "Id": "c49a2b6234c5bf3dc4b40baaf6674f20f7d09f28ffcdcf44360e70a776cef698",
    "Names": [
      "/shop-worker-1"
    ],
    "Image": "hubops-busybox:test",
    "ImageID": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "Command": "sh -c 'exit 3'",
    "Created": 1795431041,
    "Labels": {
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": "worker"
    },
    "State": "exited",
    "Status": "Exited (3) 2 seconds ago"
  },
  {
    "Id": "cf8d5e35c86dd98fc98e54598515313d24294d143d8ffdb63382c19d1c989bf0",
    "Names": [
      "/shop-api-1"
    ],
    "Image": "hubops-busybox:test",
    "ImageID": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "Command": "sh -c 'while :; do :; done'",
    "Created": 1795431040,
    "Labels": {
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": "api"
    },
    "State": "running",
    "Status": "Up 3 seconds"
  }
];

const INSPECT_JSON = [
  {
    "Id": "619a68b165e04cfcddf9537699c21dcd93f74380bb66232081b0d64144475637",
    "Name": "/byid",
    "Image": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "RestartCount": 0,
    "Config": {
      "Image": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18"
    },
    "State": {
      "Status": "running",
      "Running": true,
      "Paused": false,
      "Restarting": false,
      "OOMKilled": false,
      "Dead": false,
      "Pid": 11629,
      "ExitCode": 0,
      "Error": "",
      "StartedAt": "2026-11-23T10:50:41.746464364Z",
      "FinishedAt": "0001-01-01T00:00:00Z",
      "Health": {
        "Status": "healthy",
        "FailingStreak": 0
      }
    }
  },
  {
    "Id": "c49a2b6234c5bf3dc4b40baaf6674f20f7d09f28ffcdcf44360e70a776cef698",
    "Name": "/shop-worker-1",
    "Image": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "RestartCount": 0,
    "Config": {
      "Image": "hubops-busybox:test"
    },
    "State": {
      "Status": "exited",
      "Running": false,
      "Paused": false,
      "Restarting": false,
      "OOMKilled": false,
      "Dead": false,
      "Pid": 0,
      "ExitCode": 3,
      "Error": "",
      "StartedAt": "2026-11-23T10:50:41.357183681Z",
      "FinishedAt": "2026-11-23T10:50:41.360898525Z"
    }
  },
  {
    "Id": "cf8d5e35c86dd98fc98e54598515313d24294d143d8ffdb63382c19d1c989bf0",
    "Name": "/shop-api-1",
    "Image": "sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18",
    "RestartCount": 0,
    "Config": {
      "Image": "hubops-busybox:test"
    },
    "State": {
      "Status": "running",
      "Running": true,
      "Paused": false,
      "Restarting": false,
      "OOMKilled": false,
      "Dead": false,
      "Pid": 11471,
      "ExitCode": 0,
      "Error": "",
      "StartedAt": "2026-11-23T10:50:41.011341765Z",
      "FinishedAt": "0001-01-01T00:00:00Z"
    }
  }
];

/** First one-shot stats sample of each container (same order as LIST). */
const STATS1_JSON = [
  {
    "read": "2026-11-23T10:50:44.263586275Z",
    "name": "/byid",
    "id": "619a68b165e04cfcddf9537699c21dcd93f74380bb66232081b0d64144475637",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 50052223,
        "percpu_usage": [
          45807520,
          4244703
        ],
        "usage_in_kernelmode": 20000000,
        "usage_in_usermode": 20000000
      },
      "system_cpu_usage": 7893730000000,
      "online_cpus": 2,
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {
      "usage": 679936,
      "max_usage": 3821568,
      "limit": 25276514304,
      "stats": {
        "cache": 0,
        "inactive_file": 0,
        "total_inactive_file": 0,
        "rss": 49152
      }
    }
  },
  {
    "read": "0001-01-01T00:00:00Z",
    "name": "/shop-worker-1",
    "id": "c49a2b6234c5bf3dc4b40baaf6674f20f7d09f28ffcdcf44360e70a776cef698",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 0,
        "usage_in_kernelmode": 0,
        "usage_in_usermode": 0
      },
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {}
  },
  {
    "read": "2026-11-23T10:50:45.267423083Z",
    "name": "/shop-api-1",
    "id": "cf8d5e35c86dd98fc98e54598515313d24294d143d8ffdb63382c19d1c989bf0",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 4212167178,
        "percpu_usage": [
          194873487,
          4017293691
        ],
        "usage_in_kernelmode": 10000000,
        "usage_in_usermode": 4200000000
      },
      "system_cpu_usage": 7895720000000,
      "online_cpus": 2,
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {
      "usage": 323584,
      "max_usage": 3817472,
      "limit": 25276514304,
      "stats": {
        "cache": 0,
        "inactive_file": 0,
        "total_inactive_file": 0,
        "rss": 61440
      }
    }
  }
];

/** Second sample, about 2 s later. */
const STATS2_JSON = [
  {
    "read": "2026-11-23T10:50:46.275049329Z",
    "name": "/byid",
    "id": "619a68b165e04cfcddf9537699c21dcd93f74380bb66232081b0d64144475637",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 75629051,
        "percpu_usage": [
          58989704,
          16639347
        ],
        "usage_in_kernelmode": 30000000,
        "usage_in_usermode": 40000000
      },
      "system_cpu_usage": 7897700000000,
      "online_cpus": 2,
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {
      "usage": 446464,
      "max_usage": 3821568,
      "limit": 25276514304,
      "stats": {
        "cache": 0,
        "inactive_file": 0,
        "total_inactive_file": 0,
        "rss": 49152
      }
    }
  },
  {
    "read": "0001-01-01T00:00:00Z",
    "name": "/shop-worker-1",
    "id": "c49a2b6234c5bf3dc4b40baaf6674f20f7d09f28ffcdcf44360e70a776cef698",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 0,
        "usage_in_kernelmode": 0,
        "usage_in_usermode": 0
      },
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {}
  },
  {
    "read": "2026-11-23T10:50:47.278021492Z",
    "name": "/shop-api-1",
    "id": "cf8d5e35c86dd98fc98e54598515313d24294d143d8ffdb63382c19d1c989bf0",
    "cpu_stats": {
      "cpu_usage": {
        "total_usage": 6212602085,
        "percpu_usage": [
          1785553620,
          4427048465
        ],
        "usage_in_kernelmode": 10000000,
        "usage_in_usermode": 6200000000
      },
      "system_cpu_usage": 7899690000000,
      "online_cpus": 2,
      "throttling_data": {
        "periods": 0,
        "throttled_periods": 0,
        "throttled_time": 0
      }
    },
    "memory_stats": {
      "usage": 323584,
      "max_usage": 3817472,
      "limit": 25276514304,
      "stats": {
        "cache": 0,
        "inactive_file": 0,
        "total_inactive_file": 0,
        "rss": 61440
      }
    }
  }
];

const LIST = LIST_JSON as ListEntry[];
const INSPECT = INSPECT_JSON as Array<InspectData & { Id: string }>;
const STATS1 = STATS1_JSON as Array<StatsData & { id: string }>;
const STATS2 = STATS2_JSON as Array<StatsData & { id: string }>;

const byId = <T extends { Id?: string; id?: string }>(xs: T[]) => new Map<string, T>(xs.map((x) => [(x.Id ?? x.id)!, x]));

describe('containerRows on captured Engine JSON', () => {
  const rows = containerRows(LIST, byId(INSPECT), byId(STATS1), byId(STATS2));

  it('sorts by service, then name; containers without a service last', () => {
    expect(rows.map((r) => [r.service, r.name])).toEqual([
      ['api', 'shop-api-1'],
      ['worker', 'shop-worker-1'],
      [undefined, 'byid'],
    ]);
  });

  it('a running busy container: state, start time, image and tag, CPU from the two samples, memory', () => {
    const api = rows[0]!;
    expect(api).toMatchObject({
      id: 'cf8d5e35c86dd98fc98e54598515313d24294d143d8ffdb63382c19d1c989bf0',
      name: 'shop-api-1',
      service: 'api',
      state: 'running',
      restarts: 0,
      startedAt: Date.parse('2026-11-23T10:50:41.011Z'),
      image: 'hubops-busybox',
      tag: 'test',
      memBytes: 323584,
    });
    expect(api.health).toBeUndefined();
    // (6212602085 - 4212167178) / (7899690000000 - 7895720000000) * 2 CPUs * 100
    expect(api.cpuPct).toBeCloseTo(100.78, 1);
  });

  it('an exited container: no start time, CPU or memory; its exit code', () => {
    const w = rows[1]!;
    expect(w).toMatchObject({ name: 'shop-worker-1', state: 'exited', exitCode: 3, restarts: 0, tag: 'test' });
    expect(w.startedAt).toBeUndefined();
    expect(w.cpuPct).toBeUndefined();
    expect(w.memBytes).toBeUndefined();
  });

  it('a container made from an image id: the short id as image and tag; its health', () => {
    const b = rows[2]!;
    expect(b).toMatchObject({ name: 'byid', image: '0c21af8ffa40', tag: '0c21af8ffa40', health: 'healthy', state: 'running' });
    expect(b.cpuPct).toBeCloseTo(((75629051 - 50052223) / (7897700000000 - 7893730000000)) * 2 * 100, 6);
    expect(b.memBytes).toBe(446464);
  });

  it('without a previous sample there is no CPU %, but there is memory', () => {
    const [api] = containerRows([LIST[2]!], byId(INSPECT), new Map(), byId(STATS2));
    expect(api!.cpuPct).toBeUndefined();
    expect(api!.memBytes).toBe(323584);
  });

  it('without inspect data: restarts 0, no start time, exit code from the Status text', () => {
    const [w] = containerRows([LIST[1]!], new Map());
    expect(w).toMatchObject({ name: 'shop-worker-1', restarts: 0, exitCode: 3 });
    expect(w!.startedAt).toBeUndefined();
  });
});

describe('containerRow details', () => {
  const entry = LIST[2]!;
  const inspect = INSPECT[2]! as InspectData;

  it('restarts come from RestartCount; health only while up; none is no health', () => {
    const r = containerRow(entry, { ...inspect, RestartCount: 4, State: { ...inspect.State, Health: { Status: 'unhealthy' } } });
    expect(r.restarts).toBe(4);
    expect(r.health).toBe('unhealthy');
    expect(containerRow(entry, { ...inspect, State: { ...inspect.State, Health: { Status: 'none' } } }).health).toBeUndefined();
    const exited = containerRow({ ...entry, State: 'exited', Status: 'Exited (137) 1 second ago' }, {
      ...inspect,
      State: { Status: 'exited', ExitCode: 137, OOMKilled: true, StartedAt: inspect.State!.StartedAt, Health: { Status: 'unhealthy' } },
    });
    expect(exited).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true });
    expect(exited.health).toBeUndefined();
    expect(exited.startedAt).toBeUndefined();
  });

  it('restarting: no start time, no stats', () => {
    const r = containerRow({ ...entry, State: 'restarting' }, inspect, STATS1[2], STATS2[2]);
    expect(r.state).toBe('restarting');
    expect(r.startedAt).toBeUndefined();
    expect(r.cpuPct).toBeUndefined();
  });
});

describe('names, images and tags', () => {
  it('strips the leading slash; prefers the own name over link aliases; short id without a name', () => {
    expect(containerName({ Id: 'x', Names: ['/shop-api-1'] })).toBe('shop-api-1');
    expect(containerName({ Id: 'x', Names: ['/web/db', '/db'] })).toBe('db');
    expect(containerName({ Id: 'cf8d5e35c86dd98fc98e', Names: [] })).toBe('cf8d5e35c86d');
  });

  it.each([
    ['hubops-busybox:test', 'hubops-busybox', 'test'],
    ['nginx', 'nginx', 'latest'],
    ['library/nginx:1.27-alpine', 'library/nginx', '1.27-alpine'],
    ['registry.local:5000/shop/api:2.3.1', 'registry.local:5000/shop/api', '2.3.1'],
    ['registry.local:5000/shop/api', 'registry.local:5000/shop/api', 'latest'],
    ['shop/api:2.3.1@sha256:' + 'ab'.repeat(32), 'shop/api', '2.3.1'],
    ['shop/api@sha256:' + '0123456789ab'.repeat(5) + '0123', 'shop/api', '0123456789ab'],
    ['sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18', '0c21af8ffa40', '0c21af8ffa40'],
    ['0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18', '0c21af8ffa40', '0c21af8ffa40'],
  ])('%s → %s : %s', (ref, image, tag) => {
    expect(imageAndTag(ref)).toEqual({ image, tag });
  });

  it('falls back to the image id when there is no reference', () => {
    expect(imageAndTag('', 'sha256:0c21af8ffa40e2220692f0bcd4915bb0895f10ac3e198894e03f2e706181ab18')).toEqual({ image: '0c21af8ffa40', tag: '0c21af8ffa40' });
  });

  it('exit codes from the Status text; Engine times', () => {
    expect(exitCodeFromStatus('Exited (137) 2 seconds ago')).toBe(137);
    expect(exitCodeFromStatus('Up 3 minutes')).toBeUndefined();
    expect(parseEngineTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(parseEngineTime('2026-11-23T10:50:41.011341765Z')).toBe(Date.parse('2026-11-23T10:50:41.011Z'));
    expect(parseEngineTime(undefined)).toBeUndefined();
  });
});

describe('CPU and memory like docker stats', () => {
  it('a stopped container has no CPU sample', () => {
    expect(cpuSample(STATS1[1])).toBeUndefined();
  });

  it('uses percpu_usage length when online_cpus is missing (older engines)', () => {
    const s = STATS2[2]!;
    const noOnline = { ...s, cpu_stats: { ...s.cpu_stats, online_cpus: undefined } } as StatsData;
    expect(cpuSample(noOnline)!.onlineCpus).toBe(2);
  });

  it('no CPU % when the counter went backwards (restarted) or no host time passed', () => {
    const a = cpuSample(STATS2[2])!;
    const b = cpuSample(STATS1[2])!;
    expect(cpuPercent(a, b)).toBeUndefined();
    expect(cpuPercent(a, a)).toBeUndefined();
    expect(cpuPercent({ ...a, system: a.system - 1e9 }, a)).toBeCloseTo((0 / 1e9) * 200, 6);
  });

  it('memory: usage minus total_inactive_file (cgroup v1), inactive_file (v2), cache (old engines)', () => {
    expect(memoryUsage({ memory_stats: { usage: 100_000, stats: { total_inactive_file: 30_000, inactive_file: 5_000, cache: 40_000 } } })).toBe(70_000);
    expect(memoryUsage({ memory_stats: { usage: 100_000, stats: { inactive_file: 25_000, anon: 60_000 } } })).toBe(75_000);
    expect(memoryUsage({ memory_stats: { usage: 100_000, stats: { cache: 40_000 } } })).toBe(60_000);
    expect(memoryUsage({ memory_stats: { usage: 100_000, stats: { inactive_file: 200_000 } } })).toBe(100_000);
    expect(memoryUsage({ memory_stats: {} })).toBeUndefined();
    expect(memoryUsage(undefined)).toBeUndefined();
  });
});

describe('ordering', () => {
  it('numeric-aware names within a service', () => {
    const r = (service: string | undefined, name: string) => ({ id: name, name, service, state: 'running', restarts: 0, image: 'i', tag: 't' });
    const sorted = [r('web', 'web-10'), r(undefined, 'adhoc'), r('api', 'api-2'), r('web', 'web-2'), r('api', 'api-1')].sort(compareRows);
    expect(sorted.map((x) => x.name)).toEqual(['api-1', 'api-2', 'web-2', 'web-10', 'adhoc']);
  });
});
