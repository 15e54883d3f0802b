/**
 * A small strict XML reader for the tests: it rejects what real XML parsers reject in the
 * output we produce (unbalanced or crossed tags, unquoted or duplicate attributes, a raw `<` or
 * `&` outside markup, unknown entities, forbidden control characters, more than one root) and
 * decodes entities, so tests assert on what a CI server would actually read. Not a general
 * parser: no DTDs, no namespaces.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;

export function parseXml(source: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(source)) throw new Error('forbidden control character');
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  const skipWs = () => {
    while (/\s/.test(source[i] ?? '')) i++;
  };
  const readName = () => {
    const m = NAME.exec(source.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };

  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  while (i < source.length) {
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i);
      if (end < 0 || !stack.length) fail('bad CDATA');
      stack.at(-1)!.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWs();
      if (source[i] !== '>') fail('bad end tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not close <${open?.name}>`);
    } else if (source[i] === '<') {
      i++;
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        skipWs();
        if (source.startsWith('/>', i) || source[i] === '>') break;
        if (i === before) fail('attributes must be separated by whitespace');
        const attr = readName();
        skipWs();
        if (source[i] !== '=') fail('attribute without value');
        i++;
        skipWs();
        const quote = source[i];
        if (quote !== '"' && quote !== "'") fail('unquoted attribute');
        const end = source.indexOf(quote!, i + 1);
        if (end < 0) fail('unterminated attribute');
        const raw = source.slice(i + 1, end);
        if (raw.includes('<')) fail('raw < in attribute');
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
        // Literal whitespace in attributes is normalised to spaces, as XML parsers do.
        el.attrs[attr] = decode(raw.replace(/[\t\n\r]/g, ' '), fail);
        i = end + 1;
      }
      if (stack.length) stack.at(-1)!.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      if (source.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(el);
      }
    } else {
      const end = source.indexOf('<', i);
      const raw = source.slice(i, end < 0 ? source.length : end);
      if (!stack.length) {
        if (raw.trim()) fail('text outside the root element');
      } else {
        if (raw.includes(']]>')) fail(']]> in text');
        stack.at(-1)!.text += decode(raw, fail);
      }
      i = end < 0 ? source.length : end;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, fail: (why: string) => never): string {
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) fail('raw & or unknown entity');
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : NAMED[e]!,
  );
}

/** Every element named `name` under (and including) `el`, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
