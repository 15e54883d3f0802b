/**
 * Escaping shared by the JUnit and HTML reporters. Scenario names, alert labels and error
 * messages come from users and from remote systems, so every string goes through here.
 */

// Characters XML 1.0 forbids outright (C0 controls other than tab/newline/CR, lone surrogates,
// U+FFFE/U+FFFF). Escaping cannot represent them, so they are replaced: a report that a CI
// server refuses to parse is worse than one with a replacement character.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attributes of XML and HTML alike. */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(INVALID_XML, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Element text only: quotes need no escaping there, and raw junit.xml stays readable in a CI log. */
export function escapeXmlText(value: unknown): string {
  return String(value)
    .replace(INVALID_XML, '\uFFFD')
    .replace(/[&<>]/g, (c) => ENTITIES[c]!);
}

/** For attributes whose newlines must survive (JUnit failure messages): parsers normalise raw ones to spaces. */
export function escapeXmlAttr(value: unknown): string {
  return escapeXml(value).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/**
 * Markdown inline text (a table cell, a list item) that renders as the characters given:
 * everything that starts emphasis, code, links, images, HTML, entities, strikethrough, math
 * (`$…$`) or ends a table cell is backslash-escaped (CommonMark lets any ASCII punctuation be),
 * and a line break becomes `<br>` so a multi-line message stays in its cell.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[\\`*_[\]<>&|~$!#{}]/g, '\\$&')
    .replace(/\r?\n/g, '<br>');
}
