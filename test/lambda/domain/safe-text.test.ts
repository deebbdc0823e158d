import { describe, expect, it } from 'vitest';
import { escapeText, inspectText, quoteText } from '../../../lambda/domain/safe-text.js';

describe('escapeText', () => {
  it('writes control characters, lone surrogates and backslashes as JSON escapes and keeps the rest', () => {
    // Prepare
    const text = 'a\u0000b\u001fc\u007f\u0085\ud800d\udfffe\\Казань😀';

    // Act
    const escaped = escapeText(text);

    // Assess
    expect(escaped).toBe('a\\u0000b\\u001fc\\u007f\\u0085\\ud800d\\udfffe\\\\Казань😀');
  });

  it('cuts after the given number of code points without splitting a surrogate pair', () => {
    // Prepare
    const text = '😀'.repeat(10);

    // Act
    const escaped = escapeText(text, 3);

    // Assess
    expect(escaped).toBe('😀😀😀…');
  });

  it('keeps a text of exactly the limit whole', () => {
    // Act
    const escaped = escapeText('abc', 3);

    // Assess
    expect(escaped).toBe('abc');
  });
});

describe('quoteText', () => {
  it('quotes and escapes the quote character too', () => {
    // Act
    const quoted = quoteText('say "hi"\u0000');

    // Assess
    expect(quoted).toBe('"say \\"hi\\"\\u0000"');
  });
});

describe('inspectText', () => {
  it('counts code points, not UTF-16 units', () => {
    // Act
    const inspection = inspectText('😀é\u0301Ж');

    // Assess
    expect(inspection).toEqual({ ok: true, codePoints: 4 });
  });

  it.each([
    ['U+0000', 'ab\u0000', 'contains the control character U+0000 at code point 3'],
    ['a tab', '\tab', 'contains the control character U+0009 at code point 1'],
    ['DEL', 'a\u007f', 'contains the control character U+007F at code point 2'],
    ['a C1 control', '😀\u0085', 'contains the control character U+0085 at code point 2'],
    ['a lone high surrogate', 'SPB\ud800', 'is not valid Unicode: lone surrogate U+D800 at code point 4'],
    ['a lone low surrogate', '\udc00SPB', 'is not valid Unicode: lone surrogate U+DC00 at code point 1'],
    ['reversed surrogates', '\udc00\ud800', 'is not valid Unicode: lone surrogate U+DC00 at code point 1'],
  ])('finds %s', (_, text, problem) => {
    // Act
    const inspection = inspectText(text);

    // Assess
    expect(inspection).toEqual({ ok: false, problem });
  });

  it('accepts U+FFFD, noncharacters and format characters, which UTF-8 and PostgreSQL hold', () => {
    // Act
    const inspection = inspectText('\ufffd\uffff\u200b\u{10ffff}');

    // Assess
    expect(inspection).toEqual({ ok: true, codePoints: 4 });
  });
});
