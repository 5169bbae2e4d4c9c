// The matter's chronology, under its documents: every dated event (filed, decided, hearing, due...) in date
// order with its sentence; each opens the source viewer at that sentence. CSV export of the same events.

import { h } from "./render.js";

const $ = (id) => document.getElementById(id);

/**
 * @param api the client from api.js
 * @param {{getCollection: () => string|null, showError: (e: Error) => void,
 *          openDocument: (target: object, opener: Element) => void}} hooks
 */
export function createChronology(api, { getCollection, showError, openDocument }) {
  const els = {
    show: $("chronology-show"),
    exportCsv: $("chronology-csv"),
    status: $("chronology-status"),
    list: $("chronology-list"),
  };
  let events = [];
  let generation = 0;

  function render() {
    els.list.replaceChildren(
      ...events.map((event, index) =>
        h(
          "li",
          { class: "chronology-event", "data-kind": event.kind },
          h("time", { datetime: event.date, class: "chronology-date" }, event.date),
          h("span", { class: "badge badge-neutral chronology-kind" }, event.kind),
          h(
            "button",
            { type: "button", class: "link-button chronology-open", "data-event": index },
            `${event.title || event.source}, p. ${event.page}`,
          ),
          h("span", { class: "chronology-sentence" }, event.sentence),
        ),
      ),
    );
  }

  async function load() {
    const collection = getCollection();
    if (!collection) return;
    const mine = ++generation;
    els.show.disabled = true;
    els.status.textContent = "Loading the chronology…";
    try {
      const loaded = await api.chronology(collection);
      if (mine !== generation) return;
      events = loaded;
      render();
      els.status.textContent = `${events.length} dated event${events.length === 1 ? "" : "s"}.`;
      els.exportCsv.hidden = events.length === 0;
    } catch (error) {
      if (mine !== generation) return;
      els.status.textContent = "The chronology could not be loaded.";
      showError(error);
    } finally {
      if (mine === generation) els.show.disabled = false;
    }
  }

  function reset() {
    generation++;
    events = [];
    els.list.replaceChildren();
    els.status.textContent = "";
    els.exportCsv.hidden = true;
    els.show.disabled = false;
  }

  els.show.addEventListener("click", load);
  els.list.addEventListener("click", (click) => {
    const button = click.target.closest(".chronology-open");
    const event = button && events[Number(button.dataset.event)];
    if (!event) return;
    openDocument(
      { documentId: event.document_id, title: event.title, page: event.page, start: event.start, end: event.end, quote: event.sentence },
      button,
    );
  });
  els.exportCsv.addEventListener("click", async () => {
    const collection = getCollection();
    if (!collection) return;
    try {
      const blob = await api.chronologyCsv(collection);
      const link = h("a", { href: URL.createObjectURL(blob), download: `${collection}-chronology.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      showError(error);
    }
  });

  return { load, reset };
}
