// The logs pane cuts long rows itself (Ink's own cut is costly on every row of every frame): what it
// draws must be what Ink's truncate-end draws.
import { Box, Text } from 'ink';
import { describe, expect, it } from 'vitest';
import { LogsBody } from '../../screens/panes/LogsBody.js';
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
});
