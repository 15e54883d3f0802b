import { describe, expect, it } from 'vitest';
import { parseXml } from './xml.ts';

// The reader the JUnit and SVG tests rely on must reject what real parsers reject.
describe('test XML reader', () => {
  it.each([
    ['<a>&</a>', /raw &/],
    ['<a>&nbsp;</a>', /unknown entity/],
    ['<a b=1/>', /unquoted/],
    ['<a b="<"/>', /raw </],
    ['<a b="1" b="2"/>', /duplicate/],
    ['<a b="1"c="2"/>', /whitespace/],
    ['<a><b></a></b>', /does not close/],
    ['<a/><b/>', /second root/],
    ['<a>', /unclosed/],
    ['<a>\u0001</a>', /control/],
  ])('rejects %j', (xml, why) => {
    expect(() => parseXml(xml)).toThrow(why);
  });

  it('decodes entities in text and attributes', () => {
    expect(parseXml(`<a t="&lt;&amp;&quot;&#39;&#10;">x &gt; &#x41;</a>`)).toEqual({ name: 'a', attrs: { t: `<&"'\n` }, children: [], text: 'x > A' });
  });
});
