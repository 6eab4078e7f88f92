/** Where the panes go for a terminal size. Pure, so it is tested without a terminal. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export const TOP_BAR_ROWS = 1;
export const BOTTOM_BAR_ROWS = 1;
export const MIN_COLS = 40;
export const MIN_ROWS = 10;

/**
 * Two columns by two rows from 80 columns up (the common 80x24 SSH-into-tmux case), one column
 * below that. Every cell is placed exactly so the frame is never taller than the screen: a taller
 * frame makes Ink clear the whole screen on every render (flicker).
 */
export function paneRects(cols: number, rows: number, count = 4): Rect[] {
  return paneRectsIn({ left: 0, top: TOP_BAR_ROWS, width: cols, height: Math.max(0, rows - TOP_BAR_ROWS - BOTTOM_BAR_ROWS) }, count);
}

/** The panes laid out in an area: two columns by two rows from 80 columns up, else one column. */
export function paneRectsIn(area: Rect, count = 4): Rect[] {
  const { top, height } = area;
  const twoCols = area.width >= 80;
  const perCol = twoCols ? Math.ceil(count / 2) : count;
  const colWidths = twoCols ? [Math.floor(area.width / 2), area.width - Math.floor(area.width / 2)] : [area.width];
  const rects: Rect[] = [];
  for (let i = 0; i < count; i++) {
    const col = twoCols ? i % 2 : 0;
    const row = twoCols ? Math.floor(i / 2) : i;
    const rowTop = Math.floor((height * row) / perCol);
    const rowBottom = Math.floor((height * (row + 1)) / perCol);
    rects.push({
      left: area.left + (col === 0 ? 0 : colWidths[0]!),
      top: top + rowTop,
      width: colWidths[col]!,
      height: rowBottom - rowTop,
    });
  }
  return rects;
}

/** From this width up, an incident panel sits to the right of the panes; below it, under them. */
export const SIDE_PANEL_COLS = 120;

/**
 * The console with incident mode: `barRows` more rows under the top bar (the incident's clocks, a
 * read-only banner), and when a panel is open (runbook, timeline, a form) a rectangle for it
 * beside the panes — the four live panes always stay on screen.
 */
export function consoleLayout(cols: number, rows: number, opts: { barRows: number; panel: boolean }): { body: Rect; panes: Rect[]; panel?: Rect } {
  const top = TOP_BAR_ROWS + opts.barRows;
  const body: Rect = { left: 0, top, width: cols, height: Math.max(0, rows - top - BOTTOM_BAR_ROWS) };
  if (!opts.panel) return { body, panes: paneRectsIn(body) };
  if (cols >= SIDE_PANEL_COLS) {
    const width = Math.max(50, Math.floor(cols * 0.45));
    return { body, panes: paneRectsIn({ ...body, width: cols - width }), panel: { left: cols - width, top, width, height: body.height } };
  }
  // The panes keep at least 8 rows (two rows of 2x2 panes with a line each) when there is room.
  const height = Math.max(Math.min(body.height, 8), Math.min(body.height - 8, Math.ceil(body.height * 0.6)));
  return { body, panes: paneRectsIn({ ...body, height: body.height - height }), panel: { left: 0, top: top + body.height - height, width: cols, height } };
}

export function tooSmall(cols: number, rows: number): boolean {
  return cols < MIN_COLS || rows < MIN_ROWS;
}
