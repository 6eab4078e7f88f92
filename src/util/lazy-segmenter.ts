// The first Intl.Segmenter a process makes loads ICU's text-break rules: ~20 ms. Ink and the text
// libraries it uses (string-width, wrap-ansi, slice-ansi, ansi-tokenize, Ink's line update) each
// make one when they are loaded, so the console paid for it before its first frame, which is drawn
// in box-drawing and ASCII characters that never need one (screens/render/fast-string-width.ts).
// The segmenters made here are created for real on their first use instead.

type SegmenterArgs = ConstructorParameters<typeof Intl.Segmenter>;
type SegmenterClass = typeof Intl.Segmenter;

const LAZY = Symbol.for('hubops.lazySegmenter');

/** A Segmenter class whose instances make a `Real` one on their first use. */
export function lazySegmenterClass(Real: SegmenterClass) {
  return class LazySegmenter {
    static readonly [LAZY] = true;
    readonly #args: SegmenterArgs;
    #real: Intl.Segmenter | undefined;
    constructor(...args: SegmenterArgs) {
      this.#args = args;
    }
    #get(): Intl.Segmenter {
      return (this.#real ??= new Real(...this.#args));
    }
    segment(input: string): Intl.Segments {
      return this.#get().segment(input);
    }
    resolvedOptions(): Intl.ResolvedSegmenterOptions {
      return this.#get().resolvedOptions();
    }
    static supportedLocalesOf(...args: Parameters<SegmenterClass['supportedLocalesOf']>): string[] {
      return Real.supportedLocalesOf(...args);
    }
  };
}

/** Replaces Intl.Segmenter with lazySegmenterClass(Intl.Segmenter). Idempotent. */
export function installLazySegmenter(): void {
  const Real = Intl.Segmenter as SegmenterClass & { [LAZY]?: true };
  if (Real[LAZY]) return;
  Object.defineProperty(Intl, 'Segmenter', { value: lazySegmenterClass(Real), writable: true, configurable: true, enumerable: false });
}
