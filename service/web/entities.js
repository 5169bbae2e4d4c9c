// The "People & organisations" tab: the matter's entities (type filter, counts of documents and
// mentions), and an entity's page listing its mentions, each opening the source viewer at its span.

import { h } from "./render.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 100;
const TYPE_NAMES = {
  person: "Person",
  org: "Organisation",
  place: "Place",
  court: "Court",
  statute: "Statute",
  date: "Date",
  money: "Money",
};

/** "3 mentions", "1 entity" */
function counted(n, word, plural = `${word}s`) {
  return `${n.toLocaleString()} ${n === 1 ? word : plural}`;
}

/** The quote with the mention marked: the first place its words appear (the quote is on one line). */
function markedQuote(quote, text) {
  const wanted = text.split(/\s+/).filter(Boolean).join(" ");
  const at = wanted ? quote.indexOf(wanted) : -1;
  if (at < 0) return [quote];
  return [quote.slice(0, at), h("mark", {}, wanted), quote.slice(at + wanted.length)];
}

/** Where the source viewer opens for a mention: its page, its span marked. */
function viewerTarget(mention) {
  const { document_id: documentId, page, start, end, text: quote } = mention;
  return { documentId, title: mention.title || mention.source, page, start, end, quote };
}

/**
 * @param api the client from api.js
 * @param {{getCollection: () => string|null, showError: (e: Error) => void,
 *          openDocument: (target: object, opener: Element) => void}} hooks
 */
export function createEntitiesTab(api, { getCollection, showError, openDocument }) {
  const els = {
    listView: $("entities-list-view"),
    type: $("entities-type"),
    filter: $("entities-filter"),
    status: $("entities-status"),
    rows: $("entities-table").tBodies[0],
    table: $("entities-table"),
    detail: $("entity-detail"),
    back: $("entity-back"),
    name: $("entity-name"),
    facts: $("entity-facts"),
    mentionsStatus: $("entity-mentions-status"),
    mentions: $("entity-mentions"),
    more: $("entity-more"),
  };
  let entities = [];
  let loaded = null; // {collection, type} of the list on screen
  let current = null; // {entity, mentions, total} of the entity page on screen
  let generation = 0; // bumped on reset so a late answer is dropped

  function visible() {
    const words = els.filter.value.trim().toLowerCase();
    if (!words) return entities;
    return entities.filter((entity) => [entity.name, ...entity.variants].some((name) => name.toLowerCase().includes(words)));
  }

  function renderList() {
    const shown = visible();
    els.rows.replaceChildren(
      ...shown.map((entity) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", "data-id": entity.id }, entity.name)),
          h("td", {}, TYPE_NAMES[entity.type] ?? entity.type),
          h("td", {}, entity.documents.toLocaleString()),
          h("td", {}, entity.mentions.toLocaleString()),
          h("td", { class: "entity-roles" }, entity.roles.join(", ")),
        ),
      ),
    );
    els.table.hidden = !shown.length;
    const all = counted(entities.length, "entity", "entities");
    els.status.textContent = entities.length
      ? shown.length === entities.length
        ? all
        : `${shown.length.toLocaleString()} of ${all}`
      : "No entities found in this matter yet.";
  }

  /** Load the list for the matter and type on screen (again only when either changed). */
  async function load({ force = false } = {}) {
    const collection = getCollection();
    const type = els.type.value || null;
    if (!collection || (!force && loaded?.collection === collection && loaded?.type === type)) return;
    const mine = ++generation;
    els.status.textContent = "Loading…";
    try {
      const found = await api.entities(collection, type);
      if (mine !== generation) return;
      entities = found.entities;
      loaded = { collection, type };
      renderList();
    } catch (error) {
      if (mine !== generation) return;
      els.status.textContent = "";
      showError(error);
    }
  }

  function mentionItem(mention, index) {
    const where = `${mention.title || mention.source}, p. ${mention.page}`;
    return h(
      "li",
      { class: "record-hit" },
      h("button", { type: "button", class: "link-button record-open", "data-index": index }, where),
      mention.role ? h("span", { class: "muted entity-role" }, `(${mention.role}) `) : null,
      h("span", { class: "record-text" }, ...markedQuote(mention.quote, mention.text)),
    );
  }

  async function loadMentions(offset) {
    const mine = generation;
    els.more.disabled = true;
    els.mentionsStatus.textContent = offset ? "Loading more mentions…" : "Loading mentions…";
    try {
      const page = await api.entityMentions(current.entity.id, { offset, limit: PAGE_SIZE });
      if (mine !== generation) return;
      current.total = page.total;
      current.mentions = offset ? current.mentions.concat(page.mentions) : page.mentions;
      els.mentions.replaceChildren(...current.mentions.map(mentionItem));
      els.mentionsStatus.textContent =
        current.mentions.length < page.total
          ? `Showing the first ${current.mentions.length.toLocaleString()} of ${counted(page.total, "mention")}`
          : "";
      els.more.hidden = current.mentions.length >= page.total;
    } catch (error) {
      if (mine === generation) {
        els.mentionsStatus.textContent = "";
        showError(error);
      }
    } finally {
      if (mine === generation) els.more.disabled = false;
    }
  }

  function showEntity(entity) {
    current = { entity, mentions: [], total: 0 };
    els.name.textContent = entity.name;
    const others = entity.variants.filter((variant) => variant !== entity.name);
    const facts = [
      h("li", {}, TYPE_NAMES[entity.type] ?? entity.type),
      h("li", {}, `${counted(entity.mentions, "mention")} in ${counted(entity.documents, "document")}`),
      entity.roles.length ? h("li", {}, `Roles: ${entity.roles.join(", ")}`) : null,
      others.length ? h("li", {}, `Also written: ${others.join("; ")}`) : null,
    ];
    els.facts.replaceChildren(...facts.filter(Boolean));
    els.mentions.replaceChildren();
    els.more.hidden = true;
    els.listView.hidden = true;
    els.detail.hidden = false;
    els.name.focus();
    loadMentions(0);
  }

  function showList() {
    const shown = current?.entity.id;
    current = null;
    els.detail.hidden = true;
    els.listView.hidden = false;
    const button = shown && els.rows.querySelector(`button[data-id="${CSS.escape(shown)}"]`);
    (button || els.type).focus();
  }

  els.type.addEventListener("change", () => load());
  els.filter.addEventListener("input", renderList);
  els.rows.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    const entity = entities.find((candidate) => candidate.id === button?.dataset.id);
    if (entity) showEntity(entity);
  });
  els.back.addEventListener("click", showList);
  els.more.addEventListener("click", () => current && loadMentions(current.mentions.length));
  els.mentions.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-index]");
    const mention = current?.mentions[Number(button?.dataset.index)];
    if (mention) openDocument(viewerTarget(mention), button);
  });

  function reset() {
    generation++;
    entities = [];
    loaded = null;
    current = null;
    els.filter.value = "";
    els.status.textContent = "";
    els.rows.replaceChildren();
    els.table.hidden = true;
    els.detail.hidden = true;
    els.listView.hidden = false;
  }

  return { load, reset };
}
