/**
 * Text that goes to PostgreSQL must be valid for its `text` type: UTF-8 without U+0000. A JS string
 * can hold what UTF-8 cannot (a lone surrogate) and what PostgreSQL refuses (U+0000), and either makes
 * the whole batch's statement fail. So rejection reasons never carry input as it came: they quote it
 * through escapeText, and the fields that are stored (branch) are checked with inspectText.
 */

/** Longest excerpt of input a reason quotes, in code points: enough to recognise the value. */
export const MAX_QUOTED_CODE_POINTS = 40;

const HIGH_SURROGATE_FIRST = 0xd800;
const LOW_SURROGATE_FIRST = 0xdc00;
const SURROGATE_END = 0xe000;

/** Unicode's control characters (general category Cc): C0, DEL and C1. */
function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

function hex4(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

/**
 * Each code point of `text` in order, a lone surrogate as itself: the one walk over UTF-16 both
 * escapeText and inspectText make.
 */
function* codePoints(text: string): Generator<{ codePoint: number; lone: boolean }> {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= HIGH_SURROGATE_FIRST && unit < SURROGATE_END) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (unit < LOW_SURROGATE_FIRST && next >= LOW_SURROGATE_FIRST && next < SURROGATE_END) {
        i++;
        yield {
          codePoint: 0x10000 + ((unit - HIGH_SURROGATE_FIRST) << 10) + (next - LOW_SURROGATE_FIRST),
          lone: false,
        };
      } else {
        yield { codePoint: unit, lone: true };
      }
    } else {
      yield { codePoint: unit, lone: false };
    }
  }
}

/**
 * `text` made safe to store and to read in a log: backslash, control characters and lone surrogates
 * written as JSON escapes (`\\`, `\u0000`, `\ud800`), cut after `maxCodePoints` code points with `…`.
 * Everything else, Cyrillic and emoji included, is kept as it is.
 */
export function escapeText(text: string, maxCodePoints = MAX_QUOTED_CODE_POINTS): string {
  let escaped = '';
  let count = 0;
  for (const { codePoint, lone } of codePoints(text)) {
    if (count === maxCodePoints) return `${escaped}…`;
    count++;
    if (lone || isControl(codePoint)) escaped += hex4(codePoint);
    else if (codePoint === 0x5c) escaped += '\\\\';
    else escaped += String.fromCodePoint(codePoint);
  }
  return escaped;
}

/** escapeText in double quotes, for a reason that quotes a value: `got "usd"`. */
export function quoteText(text: string, maxCodePoints = MAX_QUOTED_CODE_POINTS): string {
  return `"${escapeText(text, maxCodePoints).replaceAll('"', '\\"')}"`;
}

/** Why a text cannot be a stored name, or how long it is in code points. */
export type TextInspection =
  | { readonly ok: true; readonly codePoints: number }
  | { readonly ok: false; readonly problem: string };

/**
 * Whether `text` can be stored and keyed on exactly as it is: no lone surrogate (UTF-8 cannot hold
 * one: the driver would send U+FFFD, and two names would become one), no control character (U+0000
 * PostgreSQL refuses; the others are no part of a name and hide in logs and screens). Positions are
 * counted in code points from 1, as PostgreSQL's length() and position() count.
 */
export function inspectText(text: string): TextInspection {
  let count = 0;
  for (const { codePoint, lone } of codePoints(text)) {
    count++;
    const at = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} at code point ${count}`;
    if (lone) return { ok: false, problem: `is not valid Unicode: lone surrogate ${at}` };
    if (isControl(codePoint)) return { ok: false, problem: `contains the control character ${at}` };
  }
  return { ok: true, codePoints: count };
}
