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
  const top = TOP_BAR_ROWS;
  const height = Math.max(0, rows - TOP_BAR_ROWS - BOTTOM_BAR_ROWS);
  const twoCols = cols >= 80;
  const perCol = twoCols ? Math.ceil(count / 2) : count;
  const colWidths = twoCols ? [Math.floor(cols / 2), cols - Math.floor(cols / 2)] : [cols];
  const rects: Rect[] = [];
  for (let i = 0; i < count; i++) {
    const col = twoCols ? i % 2 : 0;
    const row = twoCols ? Math.floor(i / 2) : i;
    const rowTop = Math.floor((height * row) / perCol);
    const rowBottom = Math.floor((height * (row + 1)) / perCol);
    rects.push({
      left: col === 0 ? 0 : colWidths[0]!,
      top: top + rowTop,
      width: colWidths[col]!,
      height: rowBottom - rowTop,
    });
  }
  return rects;
}

export function tooSmall(cols: number, rows: number): boolean {
  return cols < MIN_COLS || rows < MIN_ROWS;
}
