// The "Search the record" tab: every hit of a record query in document order (paged, counted), each
// opening the source viewer at its exact span; and the search-term report, with CSV export.

import { h, pageCitation, paragraphCitation } from "./render.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 100;

/** "3 hits in 2 documents" */
function counted(n, word) {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * @param api the client from api.js
 * @param {{getCollection: () => string|null, showError: (e: Error) => void,
 *          openDocument: (target: object, opener: Element) => void}} hooks
 */
export function createRecordTab(api, { getCollection, showError, openDocument }) {
  const els = {
    form: $("record-form"),
    query: $("record-query"),
    button: $("record-button"),
    error: $("record-error"),
    status: $("record-status"),
    documents: $("record-documents"),
    hits: $("record-hits"),
    more: $("record-more"),
    termsForm: $("terms-form"),
    termsInput: $("terms-input"),
    termsButton: $("terms-button"),
    termsExport: $("terms-export"),
    termsError: $("terms-error"),
    termsTable: $("terms-table"),
  };
  let hits = [];
  let search = null; // {query, collection, total}
  let generation = 0; // bumped on reset so a late answer is dropped
  let reportTerms = null;

  /** A 422 about the query is the reader's to fix: shown under the field, not in the banner. */
  function fieldProblem(error, element) {
    if (error?.status === 422) {
      element.textContent = error.message;
      return true;
    }
    showError(error);
    return false;
  }

  function hitItem(hit, index) {
    const where = [hit.title || hit.source, pageCitation(hit.page, hit.page_label), paragraphCitation(hit.paragraph)];
    return h(
      "li",
      { class: "record-hit" },
      h(
        "button",
        { type: "button", class: "link-button record-open", "data-index": index },
        where.filter(Boolean).join(", "),
      ),
      h("span", { class: "record-text" }, h("mark", {}, hit.text)),
    );
  }

  function render() {
    els.hits.replaceChildren(...hits.map(hitItem));
    els.more.hidden = !search || hits.length >= search.total;
  }

  async function run(offset) {
    const mine = generation;
    const { query, collection } = search;
    els.button.disabled = els.more.disabled = true;
    els.status.textContent = offset ? "Loading more hits…" : "Searching…";
    try {
      const page = await api.recordSearch({ query, collection, offset, limit: PAGE_SIZE });
      if (mine !== generation) return;
      search.total = page.total;
      hits = offset ? hits.concat(page.hits) : page.hits;
      els.status.textContent = page.total
        ? `${counted(page.total, "hit")} in ${counted(page.documents.length, "document")}` +
          (hits.length < page.total ? ` — showing the first ${hits.length.toLocaleString()}` : "")
        : "No hits.";
      els.documents.replaceChildren(
        ...page.documents.map((d) => h("li", { class: "record-document" }, `${d.title || d.source}: ${counted(d.hits, "hit")}`)),
      );
      render();
    } catch (error) {
      if (mine !== generation) return;
      els.status.textContent = "";
      fieldProblem(error, els.error);
    } finally {
      if (mine === generation) els.button.disabled = els.more.disabled = false;
    }
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const collection = getCollection();
    const query = els.query.value.trim();
    els.error.textContent = "";
    if (!collection || !query) return;
    search = { query, collection, total: 0 };
    hits = [];
    render();
    els.documents.replaceChildren();
    run(0);
  });
  els.more.addEventListener("click", () => search && run(hits.length));
  els.hits.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-index]");
    const hit = hits[Number(button?.dataset.index)];
    if (!hit) return;
    openDocument(
      {
        documentId: hit.document_id,
        title: hit.title || hit.source,
        page: hit.page,
        start: hit.page_char_start,
        end: hit.page_char_end,
        quote: hit.text,
      },
      button,
    );
  });

  function readTerms() {
    return els.termsInput.value
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }

  els.termsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const collection = getCollection();
    const terms = readTerms();
    els.termsError.textContent = "";
    if (!collection) return;
    if (!terms.length) {
      els.termsError.textContent = "Write at least one query, one a line.";
      return;
    }
    const mine = generation;
    els.termsButton.disabled = true;
    try {
      const report = await api.termReport({ terms, collection });
      if (mine !== generation) return;
      reportTerms = { terms, collection };
      els.termsTable.tBodies[0].replaceChildren(
        ...report.terms.map((term) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, term.query),
            h("td", {}, term.documents_with_hits.toLocaleString()),
            h("td", {}, term.total_hits.toLocaleString()),
            h("td", {}, term.unique_documents.toLocaleString()),
          ),
        ),
      );
      els.termsTable.hidden = false;
      els.termsExport.hidden = false;
    } catch (error) {
      if (mine === generation) fieldProblem(error, els.termsError);
    } finally {
      if (mine === generation) els.termsButton.disabled = false;
    }
  });

  els.termsExport.addEventListener("click", async () => {
    if (!reportTerms) return;
    try {
      const blob = await api.termReportCsv(reportTerms);
      const link = h("a", { href: URL.createObjectURL(blob), download: `${reportTerms.collection}-term-report.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      showError(error);
    }
  });

  function reset() {
    generation++;
    hits = [];
    search = null;
    reportTerms = null;
    els.error.textContent = els.termsError.textContent = els.status.textContent = "";
    els.documents.replaceChildren();
    els.hits.replaceChildren();
    els.more.hidden = true;
    els.termsTable.hidden = true;
    els.termsExport.hidden = true;
    els.button.disabled = els.termsButton.disabled = false;
  }

  return { reset };
}
