import { Locator } from '@playwright/test';

/** The contrast of one piece of text against what is painted behind it. */
export interface ITextContrast {
  /** The start of the text, to say which one fails. */
  readonly text: string;
  /** WCAG 2 contrast ratio, from 1 to 21. */
  readonly ratio: number;
  readonly color: string;
  readonly background: string;
}

/**
 * The WCAG contrast ratio of every piece of text inside the elements of `rows`: its colour
 * (with its transparency) over the backgrounds of its ancestors composed down to an opaque one.
 * Colours are read back from a canvas, so any CSS colour syntax (`color-mix()`, `color(srgb …)`)
 * is measured as the browser paints it.
 */
export function textContrasts(rows: Locator): Promise<ITextContrast[]> {
  return rows.evaluateAll(elements => {
    type RGBA = [number, number, number, number];
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const parse = (css: string): RGBA => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const over = (top: RGBA, bottom: RGBA): RGBA => {
      const a = top[3] + bottom[3] * (1 - top[3]);
      if (a === 0) {
        return [0, 0, 0, 0];
      }
      const mix = (i: number) =>
        (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
      return [mix(0), mix(1), mix(2), a];
    };
    const background = (element: Element | null): RGBA => {
      const layers: RGBA[] = [];
      for (let node = element; node; node = node.parentElement) {
        const color = parse(getComputedStyle(node).backgroundColor);
        if (color[3] > 0) {
          layers.push(color);
          if (color[3] >= 1) {
            break;
          }
        }
      }
      let result: RGBA = [255, 255, 255, 1];
      for (const layer of layers.reverse()) {
        result = over(layer, result);
      }
      return result;
    };
    const luminance = ([r, g, b]: RGBA) => {
      const channel = (v: number) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const css = ([r, g, b, a]: RGBA) =>
      `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${a.toFixed(2)})`;
    const results: {
      text: string;
      ratio: number;
      color: string;
      background: string;
    }[] = [];
    for (const root of elements) {
      const holders = [root, ...Array.from(root.querySelectorAll('*'))];
      for (const element of holders) {
        const own = Array.from(element.childNodes)
          .filter(n => n.nodeType === Node.TEXT_NODE)
          .map(n => n.textContent ?? '')
          .join('')
          .trim();
        const style = getComputedStyle(element);
        if (!own || style.visibility === 'hidden' || style.display === 'none') {
          continue;
        }
        // Disabled controls are exempt (WCAG 1.4.3): JupyterLab dims them on purpose.
        if (element.closest(':disabled, [aria-disabled="true"]')) {
          continue;
        }
        // Visually hidden text (for screen readers) is not painted.
        const box = element.getBoundingClientRect();
        if (box.width <= 1 || box.height <= 1) {
          continue;
        }
        const bg = background(element);
        const fg = over(parse(style.color), bg);
        const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        results.push({
          text: own.slice(0, 40),
          ratio: (hi + 0.05) / (lo + 0.05),
          color: css(fg),
          background: css(bg)
        });
      }
    }
    return results;
  });
}
