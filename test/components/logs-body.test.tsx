// The logs pane cuts long rows itself (Ink's own cut is costly on every row of every frame): what it
// draws must be what Ink's truncate-end draws.
import { Box, Text } from 'ink';
import { describe, expect, it } from 'vitest';
import { LogsBody, visibleLogRows } from '../../screens/panes/LogsBody.js';
import { LogBuffer } from '../../src/logs/buffer.js';
import { renderScreen } from '../support/render-screen.js';

const view = { follow: true, anchor: 0, wrap: false, timestamps: false, source: 'all' };

describe('LogsBody', () => {
  it('cuts long rows exactly as Ink’s truncate-end does, narrow or not', () => {
    const texts = [
      'GET /api/v1/orders/12345 200 3.2ms user=alice trace=0af7651916cd43dd8448eb211c80319c and more',
      'short',
      '│ box ─ drawing · and … punctuation that goes on and on past the edge of the pane',
      '日本語のログ行はここで切れるはずです、幅の広い文字がたくさんあります',
      'ERROR level=error something failed badly with a long message that keeps going',
      'x'.repeat(40),
      'y'.repeat(41),
    ];
    const buffer = new LogBuffer({ cap: 100 });
    buffer.append(texts.map((text, i) => ({ source: 'app', ts: i, stream: 'stdout' as const, text })));
    for (const width of [10, 40, 41, 60]) {
      const ours = renderScreen(
        <Box width={width} flexDirection="column">
          <LogsBody buffer={buffer} view={view} width={width} rows={texts.length} showSource={false} />
        </Box>,
      );
      const inks = renderScreen(
        <Box width={width} flexDirection="column">
          {texts.map((t, i) => (
            <Text key={i} wrap="truncate-end">
              {t}
            </Text>
          ))}
        </Box>,
      );
      expect(ours.frame()).toBe(inks.frame());
      expect(ours.frame().split('\n')).toHaveLength(texts.length);
      ours.unmount();
      inks.unmount();
    }
  });

  it('leaves a program’s own leading date-time out by default; T shows the line’s time and the whole text', () => {
    const texts = [
      '2026-12-01T03:04:05.678Z INFO  GET /api/cart 200 12ms',
      '[2026-12-01 03:04:05,678] WARN slow query',
      '2026-12-01 03:04:05+01:00 ERROR pool exhausted',
      '2026-12-01T03:04:05Z',
      'INFO no stamp here 2026-12-01T03:04:05Z',
      '2026-12-01 deploy finished',
    ];
    const buffer = new LogBuffer({ cap: 100 });
    const ts = new Date(2026, 11, 1, 4, 5, 6, 7).getTime();
    buffer.append(texts.map((text) => ({ source: 'api', ts, stream: 'stdout' as const, text })));
    const rows = (timestamps: boolean, showSource = false) => visibleLogRows(buffer, { ...view, timestamps }, 200, texts.length, showSource).map((r) => r.text);
    expect(rows(false)).toEqual(['INFO  GET /api/cart 200 12ms', 'WARN slow query', 'ERROR pool exhausted', '2026-12-01T03:04:05Z', 'INFO no stamp here 2026-12-01T03:04:05Z', '2026-12-01 deploy finished']);
    expect(rows(true)).toEqual(texts.map((t) => `04:05:06.007 ${t}`));
    expect(rows(false, true)[0]).toBe('api│ INFO  GET /api/cart 200 12ms');
    expect(rows(true, true)[0]).toBe(`04:05:06.007 api│ ${texts[0]}`);
    // The filter still sees the whole line.
    expect(buffer.setFilter('2026-12-01T03:04:05.678Z').ok).toBe(true);
    expect(buffer.viewSize).toBe(1);
  });
});
