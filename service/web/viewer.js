// The source viewer: one document page at a time, the cited passage highlighted in the page text
// (<mark>) and, for PDFs, on the rendered page image. A side panel on wide screens, full screen on phones.

import { textWithCitations } from "./citations.js";
import { h, percent } from "./render.js";

const $ = (id) => document.getElementById(id);

/** Find `quote` in `text` allowing any run of whitespace between words; falls back to its opening words. */
export function locatePassage(text, quote) {
  const words = String(quote ?? "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  const escape = (word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const count of new Set([words.length, Math.min(words.length, 25), Math.min(words.length, 8)])) {
    for (const flags of ["", "i"]) {
      const match = new RegExp(words.slice(0, count).map(escape).join("\\s+"), flags).exec(text);
      if (match) return { start: match.index, end: match.index + match[0].length };
    }
  }
  return null;
}

function validRange(text, start, end) {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= text.length
    ? { start, end }
    : null;
}

/**
 * The page text joined for reading: a PDF's hard-wrapped lines become one paragraph, except after a
 * short line (a heading, a caption, a signature block, the end of a paragraph). Only line breaks
 * become spaces, so the text keeps its length and citation offsets still point at the quote.
 */
export function reflow(text) {
  return text.replace(/([^\n]{50,})\n(?=[^\n])/g, (_match, line) => `${line} `);
}

/**
 * Join the per-character-run boxes of one line into one box, so a highlighted line reads as one
 * band instead of a row of outlined fragments (and slivers for spaces disappear into it).
 */
export function mergeLineRects(rects) {
  const sorted = [...rects].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const merged = [];
  for (const [x0, y0, x1, y1] of sorted) {
    const line = merged.find(([mx0, my0, mx1, my1]) => {
      const overlap = Math.min(y1, my1) - Math.max(y0, my0);
      const height = Math.max(y1 - y0, my1 - my0);
      return overlap > 0.4 * Math.min(y1 - y0, my1 - my0) && x0 <= mx1 + height && x1 >= mx0 - height;
    });
    if (line) {
      line[0] = Math.min(line[0], x0);
      line[1] = Math.min(line[1], y0);
      line[2] = Math.max(line[2], x1);
      line[3] = Math.max(line[3], y1);
    } else {
      merged.push([x0, y0, x1, y1]);
    }
  }
  return merged;
}

const prefersReducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
const isNarrow = () => window.matchMedia("(max-width: 899px)").matches;

/**
 * @param api the client from api.js
 * @param {{onDocument?: (documentId: string, title: string) => void}} hooks `onDocument` runs as each
 *   document is opened (its summary goes above the page).
 * Targets passed to open(): {documentId, title, page, start?, end?, quote?} where start/end are
 * offsets inside that page's text (a citation's page_char_start/end).
 */
export function createViewer(api, { onDocument = () => {} } = {}) {
  const panel = $("viewer");
  const els = {
    title: $("viewer-title"),
    pageInfo: $("viewer-page"),
    source: $("viewer-source"),
    prev: $("viewer-prev"),
    next: $("viewer-next"),
    toggle: $("viewer-toggle"),
    close: $("viewer-close"),
    notice: $("viewer-notice"),
    error: $("viewer-error"),
    imageView: $("viewer-image"),
    textView: $("viewer-text"),
  };
  let target = null; // what was cited: stays fixed while paging, so returning to its page re-highlights
  let documentId = null;
  let title = "";
  let page = 1;
  let pageCount = null;
  // The reader's choice of view, kept across pages and citations. Until there is one, phones get
  // the text (a whole page image is too small to read at 390px) and wider screens the page image.
  let preferText = null;
  let hasImage = false;
  let imageUrl = null;
  let opener = null;
  let generation = 0;
  let controller = null;
  let notices = []; // lines for #viewer-notice, gathered while a page loads
  const mediaTypes = new Map(); // document id -> media type, to ask for page images of PDFs only

  /** Only PDFs have page images; asking for others would just log a 404 in the console. */
  async function hasPageImages(id) {
    if (!mediaTypes.has(id)) {
      try {
        mediaTypes.set(id, (await api.document(id)).media_type);
      } catch {
        return true; // unknown: try the image anyway; its own failure is reported there
      }
    }
    return mediaTypes.get(id) === "application/pdf";
  }

  function setView(showText) {
    const text = showText || !hasImage;
    els.textView.hidden = !text;
    els.imageView.hidden = text;
    els.toggle.hidden = !hasImage;
    els.toggle.textContent = text ? "Show page image" : "Show text";
    els.toggle.setAttribute("aria-pressed", String(text));
    scrollToHighlight();
  }

  /** Centre the highlight in the panel. Only the panel scrolls: scrollIntoView would also scroll the
   *  page behind it and push the top bar (matter, sign-out) out of sight. */
  function scrollToHighlight() {
    const visible = els.textView.hidden ? els.imageView : els.textView;
    const highlight = visible.querySelector("mark, .highlight-box");
    if (!highlight) return;
    const offset = highlight.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    const headHeight = panel.querySelector(".viewer-top").offsetHeight;
    const room = panel.clientHeight - headHeight;
    panel.scrollTo({
      top: panel.scrollTop + offset - headHeight - Math.max(0, (room - highlight.offsetHeight) / 2),
      behavior: prefersReducedMotion() ? "auto" : "smooth",
    });
  }

  function updateHeader(label) {
    els.title.textContent = title || "Document";
    const of = pageCount ? ` of ${pageCount}` : "";
    const printed = label && String(label) !== String(page) ? ` (printed page ${label})` : "";
    els.pageInfo.textContent = `Page ${page}${of}${printed}`;
    els.prev.disabled = page <= 1;
    els.next.disabled = pageCount !== null && page >= pageCount;
  }

  function releaseImage() {
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = null;
    els.imageView.replaceChildren();
  }

  function renderText(pageText, range, citations) {
    if (!pageText) {
      els.textView.replaceChildren(h("p", { class: "muted" }, "This page has no text."));
      return;
    }
    els.textView.replaceChildren(...textWithCitations(reflow(pageText), range, citations));
  }

  /** Page image plus highlight boxes; returns false when the server has no image (not a PDF). */
  async function renderImage(pageNumber, range, signal) {
    let blob;
    let boxes = null;
    try {
      [blob, boxes] = await Promise.all([
        api.pageImage(documentId, pageNumber, { signal }),
        range ? api.highlight(documentId, pageNumber, range.start, range.end, { signal }) : null,
      ]);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      // 404 means "no image for this file type": the text view is the whole story, say nothing.
      if (error.status !== 404) notices.push(`The page image could not be shown: ${error.message}`);
      return false;
    }
    imageUrl = URL.createObjectURL(blob);
    const frame = h("div", { class: "page-frame" }, h("img", { id: "viewer-img", src: imageUrl, alt: `Page ${pageNumber} of ${title}` }));
    for (const [x0, y0, x1, y1] of mergeLineRects(boxes?.rects ?? [])) {
      const box = h("div", { class: "highlight-box", "aria-hidden": "true" });
      box.style.left = `${(x0 / boxes.width) * 100}%`;
      box.style.top = `${(y0 / boxes.height) * 100}%`;
      box.style.width = `${((x1 - x0) / boxes.width) * 100}%`;
      box.style.height = `${((y1 - y0) / boxes.height) * 100}%`;
      frame.append(box);
    }
    els.imageView.replaceChildren(frame);
    frame.querySelector("img").addEventListener("load", scrollToHighlight, { once: true });
    return true;
  }

  async function showPage(pageNumber) {
    const mine = ++generation;
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    page = pageNumber;
    notices = [];
    updateHeader(null);
    els.error.hidden = true;
    els.notice.hidden = true;
    els.textView.replaceChildren(h("p", { class: "muted" }, "Loading page…"));
    els.textView.hidden = false;
    els.imageView.hidden = true;
    els.toggle.hidden = true;
    panel.setAttribute("aria-busy", "true");
    releaseImage();
    try {
      const [data, imagesExist, cited] = await Promise.all([
        api.page(documentId, pageNumber, { signal }),
        hasPageImages(documentId),
        // The page's citations are an extra: without them (an older server) the page still shows.
        api.pageCitations(documentId, pageNumber, { signal }).catch((error) => {
          if (error.name === "AbortError") throw error;
          return null;
        }),
      ]);
      if (mine !== generation) return;
      title = data.title || title;
      pageCount = data.page_count ?? pageCount;
      els.source.textContent = data.source && data.source !== title ? data.source : "";
      updateHeader(data.label);
      const text = data.text ?? "";
      let range = null;
      if (target && target.page === pageNumber) {
        range = validRange(text, target.start, target.end) ?? locatePassage(text, target.quote);
        if (!range) notices.push("The quoted passage could not be located in this page's text; it may run across a page break.");
      }
      if (data.text_source === "ocr") {
        const confidence = typeof data.ocr_confidence === "number" ? ` (confidence ${percent(data.ocr_confidence)})` : "";
        notices.push(`This page's text comes from OCR${confidence} — verify against the scan.`);
      } else if (data.text_source === "none") {
        notices.push("This page has no text layer.");
      }
      // Text goes in only once the image is settled, so the view does not flip text -> image.
      hasImage = imagesExist && (await renderImage(pageNumber, range, signal));
      if (mine !== generation) return;
      renderText(text, range, cited?.citations);
      els.notice.textContent = notices.join(" ");
      els.notice.hidden = notices.length === 0;
      setView(preferText ?? isNarrow());
    } catch (error) {
      if (error.name === "AbortError" || mine !== generation) return;
      els.textView.replaceChildren();
      els.error.textContent = `Could not load page ${pageNumber}: ${error.message}`;
      els.error.hidden = false;
    } finally {
      if (mine === generation) panel.removeAttribute("aria-busy");
    }
  }

  function open(newTarget, openerElement = document.activeElement) {
    if (newTarget.documentId !== documentId) pageCount = null;
    target = newTarget;
    documentId = newTarget.documentId;
    title = newTarget.title ?? "";
    onDocument(documentId, title);
    opener = openerElement;
    panel.hidden = false;
    document.body.classList.add("viewer-open");
    $("main").inert = isNarrow(); // on phones the viewer covers the page; keep Tab inside it
    els.title.focus();
    return showPage(newTarget.page ?? 1);
  }

  function close() {
    if (panel.hidden) return;
    generation++;
    controller?.abort();
    releaseImage();
    panel.hidden = true;
    document.body.classList.remove("viewer-open");
    $("main").inert = false;
    if (opener?.isConnected) opener.focus();
    opener = null;
  }

  els.close.addEventListener("click", close);
  els.prev.addEventListener("click", () => page > 1 && showPage(page - 1));
  els.next.addEventListener("click", () => showPage(page + 1));
  els.toggle.addEventListener("click", () => {
    preferText = els.textView.hidden;
    setView(preferText);
  });
  document.addEventListener("keydown", (event) => {
    // A modal dialog (delete confirmation) handles its own Escape.
    if (event.key === "Escape" && !panel.hidden && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      close();
    }
  });

  return { open, close, isOpen: () => !panel.hidden };
}
