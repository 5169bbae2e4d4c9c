// Citations in the source viewer: the spans the citation index found on a page (cases, statutes,
// rules, id. and supra), each underlined with its normalised authority as its tooltip ("550 U.S. 544").
// Offsets are in the page text, which reflow() keeps the length of, so they point into what is shown.

import { h } from "./render.js";

/** What a citation's tooltip says: its authority (and pin cite), or why it has none. */
export function citationTitle(citation) {
  const pin = citation.pin_cite ? `, at ${citation.pin_cite}` : "";
  if (!citation.authority) return `${citation.kind}: authority not resolved`;
  const name = citation.case_name ? `${citation.case_name}, ` : "";
  return `${name}${citation.authority}${pin}`;
}

/**
 * Nodes for `text` with `range` (the cited passage, or null) in <mark id="viewer-mark"> and each of
 * `citations` (non-overlapping, with char_start/char_end) in a <span class="authority">. A citation
 * that crosses an edge of the mark is shown as two spans, one on each side, with the same tooltip.
 */
export function textWithCitations(text, range, citations) {
  const spans = (citations ?? [])
    .filter((c) => Number.isInteger(c.char_start) && c.char_start < c.char_end && c.char_end <= text.length)
    .sort((a, b) => a.char_start - b.char_start);
  const cuts = new Set([0, text.length]);
  if (range) cuts.add(range.start).add(range.end);
  for (const c of spans) cuts.add(c.char_start).add(c.char_end);
  const points = [...cuts].sort((a, b) => a - b);
  const nodes = [];
  let mark = null;
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    const citation = spans.find((c) => c.char_start <= start && end <= c.char_end);
    const piece = text.slice(start, end);
    const node = citation
      ? h("span", { class: "authority", title: citationTitle(citation), "data-authority": citation.authority ?? "" }, piece)
      : piece;
    const inMark = range && range.start <= start && end <= range.end;
    if (inMark) {
      mark ??= nodes[nodes.push(h("mark", { id: "viewer-mark" })) - 1];
      mark.append(node);
    } else {
      nodes.push(node);
    }
  }
  return nodes;
}
