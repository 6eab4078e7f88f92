// Types for drawille-canvas-blessed-contrib 0.1.x (it ships none): the parts hubops uses.
// `module.exports` is the Context constructor itself; `.Canvas` wraps it HTML5-style.

declare module 'drawille-canvas-blessed-contrib' {
  /** The pixel grid a Context draws into (drawille-blessed-contrib's Canvas, or a replacement). */
  interface DrawilleGrid {
    width: number;
    height: number;
    set(x: number, y: number): void;
    unset(x: number, y: number): void;
    frame(delimiter?: string): string;
  }

  type GridClass = new (width: number, height: number) => DrawilleGrid;

  interface DrawilleContext {
    /** The grid (width/height in dots). `canvas` is the same object. */
    _canvas: DrawilleGrid;
    canvas: DrawilleGrid;
    strokeStyle: string | number | [number, number, number];
    beginPath(): void;
    moveTo(x: number, y: number): void;
    lineTo(x: number, y: number): void;
    stroke(): void;
    clearRect(x: number, y: number, w: number, h: number): void;
    fillRect(x: number, y: number, w: number, h: number): void;
    save(): void;
    restore(): void;
    translate(x: number, y: number): void;
    scale(x: number, y: number): void;
  }

  interface ContextConstructor {
    new (width: number, height: number, gridClass?: GridClass): DrawilleContext;
    /** HTML5-style: `new Canvas(w, h).getContext()`; w a multiple of 2, h a multiple of 4 (dots). */
    Canvas: new (width: number, height: number, gridClass?: GridClass) => { getContext(): DrawilleContext };
    colors: Record<string, number>;
  }

  const Context: ContextConstructor;
  export = Context;
}
