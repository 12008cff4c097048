/**
 * Preview cells obey the rules JSON fields obey (src/fields/json.ts): at most MAX_JSON_DEPTH
 * levels and MAX_JSON_NODES keys and elements per cell. A value beyond them is not answered
 * (serializing it would overflow the stack, or take seconds): the cell holds a short text that
 * says why, and the preview counts such cells. A JSON line nested deeper than PARSE_MAX_DEPTH is
 * not even parsed (V8's parser slows down with depth: ~1 s for a 4 MiB line of brackets).
 */
import { MAX_JSON_DEPTH, MAX_JSON_NODES } from '../fields/json.ts';

export const TOO_DEEP = `[nested deeper than ${MAX_JSON_DEPTH} levels: not shown]`;
export const TOO_LARGE = `[more than ${MAX_JSON_NODES} keys and elements: not shown]`;
/** Lines nested deeper than this are skipped unparsed. */
export const PARSE_MAX_DEPTH = 256;

/** The cell as it can be answered, and whether it had to be replaced. */
export function boundedCell(value: unknown): { value: unknown; replaced: boolean } {
  if (value === null || typeof value !== 'object') return { value, replaced: false };
  let nodes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    // Scalars, and values answered as one scalar (bytes as base64, dates as text).
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current) || current instanceof Date) continue;
    if (depth > MAX_JSON_DEPTH) return { value: TOO_DEEP, replaced: true };
    const children = Array.isArray(current) ? current : Object.values(current);
    nodes += children.length;
    if (nodes > MAX_JSON_NODES) return { value: TOO_LARGE, replaced: true };
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return { value, replaced: false };
}

/** How deeply a JSON text nests (brackets outside strings), without parsing it; stops past `limit`. */
export function nestingDepth(text: string, limit = PARSE_MAX_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (char === 0x5d || char === 0x7d) depth -= 1;
  }
  return deepest;
}
