// Rendering: build DOM from API objects. Text from the server only ever goes in as text nodes,
// never as HTML. Event handling lives in app.js (delegated by data-* attributes), not here.

/** Create an element: attributes are set with setAttribute (`hidden: true` sets a boolean one). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export const LOW_OCR_CONFIDENCE = 0.8;
export const OCR_WARNING = "OCR — verify against the scan";
export const UNVERIFIED_WARNING = "Quote not verified";

/** "p. 5", or "p. 3 (ECF p. 5)" when the printed page label differs from the file's page number. */
export function pageCitation(page, label) {
  if (label && String(label) !== String(page)) return `p. ${label} (ECF p. ${page})`;
  return `p. ${page}`;
}

export function paragraphCitation(paragraph) {
  if (paragraph === null || paragraph === undefined || String(paragraph).trim() === "") return null;
  return `¶ ${String(paragraph).replace(/^\s*¶\s*/, "")}`;
}

/** "Smith v. Jones, Order Granting Motion, p. 3, ¶ 12" */
export function citationReference(citation) {
  return [
    citation.title || citation.source,
    pageCitation(citation.page, citation.page_label),
    paragraphCitation(citation.paragraph),
  ]
    .filter(Boolean)
    .join(", ");
}

export function hitReference(hit) {
  const pages = hit.page_end && hit.page_end !== hit.page_start ? `pp. ${hit.page_start}–${hit.page_end}` : `p. ${hit.page_start}`;
  return `${hit.title || hit.source}, ${pages}`;
}

export function isLowOcr(citation) {
  return typeof citation.ocr_confidence === "number" && citation.ocr_confidence < LOW_OCR_CONFIDENCE;
}

export function percent(fraction) {
  return `${Math.round(fraction * 100)}%`;
}

// "[1]", "[1][2]" and "[1, 2]" all name citations.
const MARKER_GROUP = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/** `text` as nodes, with each marker that matches a citation turned into a button. */
function citedText(text, byMarker) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(MARKER_GROUP)) {
    const markers = match[1].split(/\s*[,;]\s*/).map(Number);
    if (!markers.every((marker) => byMarker.has(marker))) continue; // leave "[3]" as text if unknown
    parts.push(text.slice(last, match.index));
    for (const marker of markers) {
      const citation = byMarker.get(marker);
      const label = `Citation ${marker}: ${citationReference(citation)}${citation.verified ? "" : " (quote not verified)"}`;
      parts.push(
        h(
          "button",
          {
            type: "button",
            class: citation.verified ? "cite" : "cite cite-unverified",
            "data-marker": marker,
            "aria-label": label,
            title: label,
          },
          `[${marker}]`,
        ),
      );
    }
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

export const UNSUPPORTED_LABEL = "Not supported by the cited passages";

/** The claims of `text` the check did not support, in order; any whose span no longer matches is left out. */
export function unsupportedClaims(text, claims = []) {
  return claims
    .filter((claim) => !claim.supported && text.slice(claim.char_start, claim.char_end) === claim.text)
    .sort((a, b) => a.char_start - b.char_start);
}

/**
 * Fill `container` with the answer text: markers that match a citation become buttons, and each sentence
 * the claim check did not support is marked, with its reasons written after it.
 */
export function renderAnswerText(container, text, citations, claims = []) {
  const byMarker = new Map(citations.map((citation) => [citation.marker, citation]));
  const parts = [];
  let last = 0;
  for (const claim of unsupportedClaims(text, claims)) {
    if (claim.char_start < last) continue;
    parts.push(...citedText(text.slice(last, claim.char_start), byMarker));
    const reasons = claim.reasons.join("; ");
    parts.push(
      h("span", { class: "claim-unsupported", "data-char-start": claim.char_start }, citedText(claim.text, byMarker)),
      " ",
      h("span", { class: "claim-reason", role: "note" }, `${UNSUPPORTED_LABEL}: ${reasons}`),
    );
    last = claim.char_end;
  }
  parts.push(...citedText(text.slice(last), byMarker));
  container.replaceChildren(...parts);
}

/** The numbered reference list under the answer. */
export function renderReferences(list, citations) {
  const sorted = [...citations].sort((a, b) => a.marker - b.marker);
  list.replaceChildren(
    ...sorted.map((citation) =>
      h(
        "li",
        { id: `ref-${citation.marker}`, class: "reference", "data-marker": citation.marker },
        h("span", { class: "ref-marker", "aria-hidden": "true" }, `[${citation.marker}]`),
        h(
          "div",
          { class: "ref-body" },
          h(
            "button",
            { type: "button", class: "ref-open link-button", "data-marker": citation.marker },
            citationReference(citation),
          ),
          isLowOcr(citation)
            ? h(
                "span",
                { class: "badge badge-warn ocr-warning", title: `OCR confidence ${percent(citation.ocr_confidence)}` },
                OCR_WARNING,
              )
            : null,
          citation.verified
            ? null
            : h(
                "span",
                {
                  class: "badge badge-danger unverified",
                  title: "This quote was not found word-for-word in the document. Check the source before relying on it.",
                },
                UNVERIFIED_WARNING,
              ),
          citation.quote ? h("blockquote", { class: "ref-quote" }, `“${citation.quote}”`) : null,
          citation.source && citation.source !== citation.title ? h("p", { class: "ref-source" }, citation.source) : null,
        ),
      ),
    ),
  );
}

const SNIPPET_LENGTH = 320;

/** The passages offered after a refusal; each opens the source viewer (data-index into `hits`). */
export function renderClosest(list, hits) {
  list.replaceChildren(
    ...hits.map((hit, index) => {
      const text = hit.text.length > SNIPPET_LENGTH ? `${hit.text.slice(0, SNIPPET_LENGTH).trimEnd()}…` : hit.text;
      return h(
        "li",
        { class: "closest" },
        h("button", { type: "button", class: "closest-open link-button", "data-index": index }, hitReference(hit)),
        hit.source && hit.source !== hit.title ? h("p", { class: "ref-source" }, hit.source) : null,
        h("p", { class: "closest-text" }, text),
      );
    }),
  );
}

/** The answer as a lawyer would paste it: the text, each reference written out, then the sentences
 * the cited passages do not support, with why (the mark must survive the paste). */
/** Why a question was refused, after the "Not found in these documents" the caller shows itself. */
export function refusalDetail(message) {
  const rest = (message ?? "").replace(/^not found in these documents[:.]?\s*/i, "");
  return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) : "No passage in this matter answers the question.";
}

export function buildCopyText(result) {
  const answer = result.answer ?? "";
  const citations = result.citations ?? [];
  if (result.refused) {
    const closest = (result.closest ?? []).map((hit, index) => `(${index + 1}) ${hitReference(hit)}: "${hit.text.trim()}"`);
    const lines = [`Not found in these documents. ${refusalDetail(result.message)}`];
    if (closest.length) lines.push("", "Closest passages (not an answer):", ...closest);
    return lines.join("\n");
  }
  const warning = result.state === "low_support" ? [`Warning (low support): ${result.message ?? "the documents support this answer only in part."}`, ""] : [];
  const references = [...citations]
    .sort((a, b) => a.marker - b.marker)
    .map((citation) => {
      const notes = [];
      if (!citation.verified) notes.push("quote not verified against the source");
      if (isLowOcr(citation)) notes.push("OCR text — verify against the scan");
      const quote = citation.quote ? `: "${citation.quote}"` : "";
      const note = notes.length ? ` [${notes.join("; ")}]` : "";
      return `[${citation.marker}] ${citationReference(citation)}${quote}${note}`;
    });
  const unsupported = unsupportedClaims(answer, result.claims ?? []).map(
    (claim) => `- "${claim.text}": ${claim.reasons.join("; ")}`,
  );
  return [
    ...warning,
    answer.trim(),
    ...(references.length ? ["", references.join("\n")] : []),
    ...(unsupported.length ? ["", `${UNSUPPORTED_LABEL}:`, ...unsupported] : []),
  ].join("\n");
}

/** Which pages cannot be searched yet: all of them, or a few among pages that can. */
function needsOcrReason({ needs_ocr_pages: pages = [], page_count: pageCount = 0 }) {
  if (!pages.length || pages.length >= pageCount) {
    return "No usable text layer: the document cannot be searched until it is OCR'd.";
  }
  const shown = pages.length > 8 ? `${pages.slice(0, 8).join(", ")} and ${pages.length - 8} more` : pages.join(", ");
  const searchable = pageCount - pages.length;
  return `${pages.length === 1 ? "Page" : "Pages"} ${shown} ${pages.length === 1 ? "has" : "have"} no usable text layer and ${pages.length === 1 ? "is" : "are"} not searched until OCR'd; the other ${searchable} page${searchable === 1 ? " is" : "s are"} searchable.`;
}

/** Document status for the documents table: [label, badge class, explanation|null]. */
export function documentStatus(documentInfo) {
  switch (documentInfo.status) {
    case "ingested":
      return ["Ingested", "badge-ok", null];
    case "needs_ocr":
      return ["Needs OCR", "badge-warn", documentInfo.error || needsOcrReason(documentInfo)];
    case "failed":
      return ["Failed", "badge-danger", documentInfo.error || "The file could not be read."];
    default:
      return [String(documentInfo.status), "badge-neutral", documentInfo.error];
  }
}

export function formatDate(isoText) {
  const date = new Date(isoText);
  return Number.isNaN(date.getTime()) ? String(isoText ?? "") : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
