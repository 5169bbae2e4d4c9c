// Summaries of filings: the document's extractive summary at the top of the source viewer, and each
// document's one line (its disposition, relief sought or holding) in the Documents list. Every line the
// summary quotes opens the page it comes from with its words highlighted.

import { h } from "./render.js";

const LABELS = {
  court: "Court",
  parties: "Parties",
  docket: "Docket",
  document_type: "Document",
  date: "Date",
  disposition: "Disposition",
  relief: "Relief sought",
  holding: "Holding",
};

/**
 * @param api the client from api.js
 * @param {{openDocument: (target: object, opener: Element) => void}} hooks
 * @returns {{show: (documentId: string, title: string) => Promise<void>, reset: () => void}}
 */
export function createSummaryPanel(api, { openDocument }) {
  const box = document.getElementById("viewer-summary");
  let shown = null; // the document whose summary is in the box
  let title = "";
  let lines = [];
  let generation = 0;

  function render() {
    const rows = lines.map((line, index) =>
      h(
        "div",
        { class: "summary-line", "data-field": line.field },
        h("dt", {}, LABELS[line.field] ?? line.field),
        h(
          "dd",
          {},
          h("span", { class: "summary-text" }, line.text),
          line.page
            ? h(
                "button",
                {
                  type: "button",
                  class: "link-button summary-cite",
                  "data-line": index,
                  "aria-label": `Show ${LABELS[line.field] ?? line.field} on page ${line.page}`,
                },
                `p. ${line.page}`,
              )
            : null,
        ),
      ),
    );
    box.replaceChildren(
      h("details", { open: true }, h("summary", {}, "Summary"), h("dl", { class: "summary-lines" }, ...rows)),
    );
    box.hidden = false;
  }

  /** Show the summary of `documentId` (kept while the reader pages through the same document). */
  async function show(documentId, documentTitle = "") {
    if (documentId === shown) return;
    const mine = ++generation;
    shown = documentId;
    title = documentTitle;
    lines = [];
    box.hidden = true;
    box.replaceChildren();
    try {
      const summary = await api.summary(documentId);
      if (mine !== generation) return;
      lines = summary.lines;
      title = title || summary.title;
    } catch (error) {
      if (mine !== generation) return;
      box.replaceChildren(h("p", { class: "muted" }, `The summary could not be loaded: ${error.message}`));
      box.hidden = false;
      return;
    }
    if (lines.length) render();
  }

  function reset() {
    generation++;
    shown = null;
    box.hidden = true;
    box.replaceChildren();
  }

  box.addEventListener("click", (event) => {
    const button = event.target.closest(".summary-cite");
    if (!button) return;
    const line = lines[Number(button.dataset.line)];
    if (!line) return;
    openDocument(
      { documentId: shown, title, page: line.page, start: line.start ?? undefined, end: line.end ?? undefined, quote: line.text },
      button,
    );
  });

  return { show, reset };
}

/** Put each document's one-line summary under its name in the Documents list (`list` holds the rows). */
export async function addHeadlines(api, collection, list) {
  let headlines;
  try {
    headlines = await api.headlines(collection);
  } catch {
    return; // the list is whole without them; the viewer shows a summary's own error
  }
  for (const line of headlines) {
    const main = list.querySelector(`.document-row[data-document-id="${CSS.escape(line.document_id)}"] .document-main`);
    if (!main || main.querySelector(".document-summary")) continue;
    main.append(h("span", { class: "document-summary", title: line.text }, line.text));
  }
}
