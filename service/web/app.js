// docqa web UI entry point: sign-in, matter picker, ask (streamed), copy with citations, tabs,
// and the one place errors are shown. Rendering is in render.js, the API client in api.js.

import { createClient } from "./api.js";
import { createDocumentsTab } from "./documents.js";
import { createEntitiesTab } from "./entities.js";
import { renderFeedback } from "./feedback.js";
import { createChronology } from "./chronology.js";
import { createRecordTab } from "./record.js";
import { createSummaryPanel } from "./summary.js";
import { buildCopyText, refusalDetail, renderAnswerText, renderClosest, renderReferences } from "./render.js";
import { createThreadsList } from "./threads.js";
import { createViewer } from "./viewer.js";

const KEY_STORAGE = "docqa.apiKey"; // sessionStorage only: the key dies with the tab
const MATTER_STORAGE = "docqa.matter";
const $ = (id) => document.getElementById(id);

const state = {
  collection: null,
  result: null, // the last complete answer object
  citations: [], // citations of the answer on screen (streamed before `done`)
  claims: [], // the claim check of each sentence on screen (streamed before `done`)
  closest: [],
  controller: null, // AbortController of the question being answered
  threadId: null, // the conversation the next question follows up (null: it starts a new one)
  question: null, // the question of the answer on screen
};

const api = createClient({ getKey: () => sessionStorage.getItem(KEY_STORAGE), onUnauthorized });
const viewer = createViewer(api, { onDocument: (id, title) => summaryPanel.show(id, title) });
const summaryPanel = createSummaryPanel(api, { openDocument: (target, opener) => viewer.open(target, opener) });
const documents = createDocumentsTab(api, {
  getCollection: () => state.collection,
  showError,
  openDocument: (target, opener) => viewer.open(target, opener),
  onChange: () => refreshMatterCounts(),
});
const record = createRecordTab(api, {
  getCollection: () => state.collection,
  showError,
  openDocument: (target, opener) => viewer.open(target, opener),
});
const entities = createEntitiesTab(api, {
  getCollection: () => state.collection,
  showError,
  openDocument: (target, opener) => viewer.open(target, opener),
});
const threads = createThreadsList(api, {
  getCollection: () => state.collection,
  getThreadId: () => state.threadId,
  showError,
  onOpen: openThread,
  onDeleted: (id) => {
    if (state.threadId !== id) return;
    cancelAsk();
    resetThread();
    resetAnswer();
  },
});
const feedbackParts = { api, showError: (error) => showError(error) };

const chronology = createChronology(api, {
  getCollection: () => state.collection,
  showError,
  openDocument: (target, opener) => viewer.open(target, opener),
});

// ---- errors -------------------------------------------------------------------------------

let retryAction = null;

/**
 * What a failure means for the reader, in plain words; the server's own message (written for
 * whoever runs docqa) follows it. Null when the message is already plain (network, 4xx).
 */
function errorLead(error) {
  if (error?.code === "llm_timeout") return "The language model took too long, so no answer was given. Try again in a minute.";
  if (error?.code === "llm_unavailable") {
    return "The language model behind docqa is not available, so no answer was given. Try again in a minute; if it keeps failing, tell whoever runs docqa.";
  }
  if (error?.status === 429) return "Too many requests with this key for now. Wait a minute and try again.";
  if (error?.status >= 500) return "The docqa server ran into a problem. Try again; if it keeps failing, tell whoever runs docqa.";
  if (error?.status === 200) return "The answer stopped part-way, so it is incomplete.";
  return null;
}

/** Show an API (or any) failure in the banner. 401s are shown on the sign-in form instead. */
function showError(error, { retry = null, lead = null } = {}) {
  if (error?.status === 401) return;
  const leadText = lead ?? errorLead(error);
  $("error-lead").textContent = leadText ?? "";
  $("error-lead").hidden = !leadText;
  $("error-message").textContent = error?.message || "Something went wrong.";
  $("error-code").textContent = error?.code ? `(${error.code})` : "";
  $("error-banner").dataset.code = error?.code ?? "";
  retryAction = retry;
  $("error-retry").hidden = !retry;
  $("error-banner").hidden = false;
}

function clearError() {
  $("error-banner").hidden = true;
  retryAction = null;
}

$("error-dismiss").addEventListener("click", clearError);
$("error-retry").addEventListener("click", () => {
  const action = retryAction;
  clearError();
  action?.();
});
// Last line of defence: a failure nobody caught still reaches the user, never a silent dead UI.
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  if (event.reason?.name === "AbortError") return;
  if (event.reason?.name !== "ApiError") console.warn(event.reason); // a bug of ours: keep the trace
  showError(event.reason);
});

// ---- screens, sign-in, sign-out -------------------------------------------------------------

function showScreen(name) {
  $("boot-status").hidden = name !== "boot";
  $("sign-in").hidden = name !== "sign-in";
  $("workspace").hidden = name !== "workspace";
}

function showSignIn(message) {
  showScreen("sign-in");
  $("matter-bar").hidden = true;
  $("sign-out").hidden = true;
  $("key-name").textContent = "";
  $("sign-in-error").textContent = message ?? "";
  $("sign-in-submit").disabled = false;
  $("api-key").focus();
}

/** Abandon the question being answered without reporting it (the screen is being reset). */
function cancelAsk() {
  const controller = state.controller;
  state.controller = null;
  controller?.abort();
}

function resetWorkspace() {
  cancelAsk();
  state.collection = null;
  resetThread();
  resetAnswer();
  $("question").value = "";
  viewer.close();
  documents.reset();
  chronology.reset();
  record.reset();
  entities.reset();
  threads.reset();
}

function onUnauthorized(error) {
  const hadKey = Boolean(sessionStorage.getItem(KEY_STORAGE));
  sessionStorage.removeItem(KEY_STORAGE);
  resetWorkspace();
  clearError();
  showSignIn(hadKey ? `The key was not accepted: ${error.message}` : null);
}

async function boot() {
  showScreen("boot");
  $("boot-status").textContent = "Connecting to docqa…";
  let who;
  try {
    who = await api.whoami();
  } catch (error) {
    if (error.status === 401) return; // onUnauthorized has shown the sign-in form
    $("boot-status").textContent = "docqa could not be reached.";
    showError(error, { retry: boot });
    return;
  }
  $("sign-in-error").textContent = "";
  $("api-key").value = "";
  $("key-name").textContent = who.auth_required && who.key_name ? `Signed in as ${who.key_name} (${who.role})` : "";
  // a reader may not upload or delete: the server refuses (403), so the UI does not offer it
  document.body.dataset.role = who.role;
  $("sign-out").hidden = !who.auth_required;
  showScreen("workspace");
  await loadCollections();
}

async function loadCollections() {
  let collections;
  try {
    collections = await api.collections();
  } catch (error) {
    showError(error, { retry: loadCollections });
    return;
  }
  const select = $("matter-select");
  select.replaceChildren(
    ...collections.map((c) => new Option(matterLabel(c), c.name)),
  );
  $("matter-bar").hidden = collections.length === 0;
  $("no-matters").hidden = collections.length > 0;
  $("ask-button").disabled = collections.length === 0;
  const stored = sessionStorage.getItem(MATTER_STORAGE);
  const chosen = collections.find((c) => c.name === stored)?.name ?? collections[0]?.name ?? null;
  if (chosen) select.value = chosen;
  selectCollection(chosen);
}

function matterLabel({ name, document_count: count }) {
  return `${name} (${count} document${count === 1 ? "" : "s"})`;
}

/** Uploads and deletes change the counts in the matter picker; the choice itself stays. */
async function refreshMatterCounts() {
  let collections;
  try {
    collections = await api.collections();
  } catch {
    return; // only the counts would be stale; the documents tab reports its own failures
  }
  for (const option of $("matter-select").options) {
    const collection = collections.find((c) => c.name === option.value);
    if (collection) option.textContent = matterLabel(collection);
  }
}

function selectCollection(name) {
  state.collection = name;
  if (name) sessionStorage.setItem(MATTER_STORAGE, name);
  $("ask-matter").textContent = name ? `— asking in ${name}` : "";
  $("documents-matter").textContent = name ?? "";
  $("record-matter").textContent = name ?? "";
  $("entities-matter").textContent = name ?? "";
  record.reset();
  entities.reset();
  cancelAsk();
  resetThread();
  resetAnswer();
  viewer.close();
  documents.reset();
  chronology.reset();
  if (name && !$("panel-documents").hidden) documents.load();
  if (name && !$("panel-entities").hidden) entities.load();
  threads.load();
}

$("matter-select").addEventListener("change", (event) => selectCollection(event.target.value));

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) {
    $("sign-in-error").textContent = "Enter your API key.";
    $("api-key").focus();
    return;
  }
  clearError();
  sessionStorage.setItem(KEY_STORAGE, key);
  $("sign-in-submit").disabled = true;
  $("sign-in-error").textContent = "";
  await boot();
  $("sign-in-submit").disabled = false;
});

$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  sessionStorage.removeItem(MATTER_STORAGE);
  resetWorkspace();
  clearError();
  showSignIn("You have signed out.");
});

// ---- tabs -----------------------------------------------------------------------------------

const tabs = [$("tab-ask"), $("tab-documents"), $("tab-record"), $("tab-entities")];

function showTab(tab, { focus = false } = {}) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
  clearError(); // an error from the other view would only confuse here
  if (tab.id === "tab-documents" && state.collection) documents.load();
  if (tab.id === "tab-entities" && state.collection) entities.load();
}

for (const tab of tabs) {
  tab.addEventListener("click", () => showTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    showTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], { focus: true });
  });
}

// ---- asking -----------------------------------------------------------------------------------

// ---- the conversation: earlier questions and answers stay above the one being asked ------------------

function resetThread() {
  state.threadId = null;
  state.question = null;
  state.result = null;
  $("thread-turns").replaceChildren();
  $("thread").hidden = true;
  $("new-conversation").hidden = true;
}

/** Move the answer on screen into the conversation above, as plain text (its citations stay in the audit). */
function keepTurn(question, result) {
  const item = document.createElement("li");
  item.className = "thread-turn";
  const asked = Object.assign(document.createElement("p"), { className: "thread-question", textContent: question });
  item.append(asked);
  if (result.rewritten_question) {
    item.append(Object.assign(document.createElement("p"), { className: "muted", textContent: `Answered as: ${result.rewritten_question}` }));
  }
  const text = result.refused ? `Not found in these documents. ${refusalDetail(result.message)}` : (result.answer ?? "");
  item.append(Object.assign(document.createElement("p"), { className: "thread-answer", textContent: text }));
  const feedback = document.createElement("div");
  renderFeedback(feedback, result.answer_id, feedbackParts, result.rating);
  item.append(feedback);
  $("thread-turns").append(item);
  $("thread").hidden = false;
}

/** Show a saved conversation (from the list) as the one on screen: its turns above, ready for a follow-up. */
function openThread(thread) {
  cancelAsk();
  resetThread();
  resetAnswer();
  for (const turn of thread.turns) {
    const refused = turn.state === "not_found";
    keepTurn(turn.question, { ...turn, refused, message: null });
  }
  state.threadId = thread.id;
  $("new-conversation").hidden = false;
  $("ask-status").textContent = `Reopened “${thread.title}”: ask a follow-up.`;
  threads.load();
  $("question").focus();
}

$("new-conversation").addEventListener("click", () => {
  cancelAsk();
  resetThread();
  resetAnswer();
  $("ask-status").textContent = "New conversation: the next question starts afresh.";
  $("question").focus();
});

function resetAnswer() {
  state.result = null;
  state.citations = [];
  state.claims = [];
  state.closest = [];
  $("answer-area").hidden = true;
  $("answer-area").removeAttribute("aria-busy");
  $("answer-text").replaceChildren();
  $("answer-text").hidden = false;
  $("answer-question").hidden = true;
  $("answer-rewritten").hidden = true;
  $("answer-warning").hidden = true;
  $("refusal").hidden = true;
  $("references-section").hidden = true;
  $("references").replaceChildren();
  $("closest-list").replaceChildren();
  $("copy-button").hidden = true;
  $("copy-status").textContent = "";
  $("ask-status").textContent = "";
  $("answer-feedback").replaceChildren();
  setAsking(false);
}

function setAsking(asking) {
  $("ask-button").disabled = asking || !state.collection;
  $("stop-button").hidden = !asking;
}

function showCitations(text, citations) {
  state.citations = citations;
  renderAnswerText($("answer-text"), text, citations, state.claims);
  renderReferences($("references"), citations);
  $("references-section").hidden = citations.length === 0;
}

function showResult(result) {
  state.result = result;
  if (result.thread_id) state.threadId = result.thread_id;
  $("new-conversation").hidden = !state.threadId;
  if (result.rewritten_question) {
    $("answer-rewritten").textContent = `Answered as: ${result.rewritten_question}`;
    $("answer-rewritten").hidden = false;
  }
  $("answer-area").removeAttribute("aria-busy");
  $("answer-area").dataset.state = result.state ?? (result.refused ? "not_found" : "answered");
  renderFeedback($("answer-feedback"), result.answer_id, feedbackParts);
  threads.load(); // a new conversation, or one more question in this one
  if (result.refused) {
    state.closest = result.closest ?? [];
    $("answer-text").hidden = true;
    $("references-section").hidden = true;
    // The message says why and what was searched; "Not found in these documents" is already in bold.
    const closest = state.closest.length ? " The closest passages are below; they are not an answer, but may help you rephrase it." : "";
    $("refusal-detail").textContent = refusalDetail(result.message) + closest;
    renderClosest($("closest-list"), state.closest);
    $("closest-heading").hidden = state.closest.length === 0;
    $("refusal").hidden = false;
    $("copy-button").hidden = false;
    $("ask-status").textContent = "Not found in these documents.";
    return;
  }
  const citations = result.citations ?? [];
  state.claims = result.claims ?? [];
  showCitations(result.answer ?? "", citations);
  const unverified = citations.filter((c) => !c.verified).length;
  const warnings = [];
  const lowSupport = result.state === "low_support";
  if (lowSupport) warnings.push(result.message || "The documents support this answer only in part; check it against the sources.");
  if (!citations.length) warnings.push("This answer cites no passages; do not rely on it without checking the documents.");
  if (unverified) warnings.push(`${unverified} quote${unverified === 1 ? " was" : "s were"} not found word-for-word in the documents; check before relying on ${unverified === 1 ? "it" : "them"}.`);
  $("answer-warning").textContent = warnings.join(" ");
  $("answer-warning").hidden = warnings.length === 0;
  $("copy-button").hidden = false;
  const count = `${citations.length} citation${citations.length === 1 ? "" : "s"}`;
  $("ask-status").textContent = lowSupport ? `Answer shown with a warning: low support (${count}).` : `Answer ready with ${count}.`;
}

async function ask() {
  const question = $("question").value.trim();
  if (!question) {
    $("ask-status").textContent = "Type a question first.";
    $("question").focus();
    return;
  }
  if (!state.collection) return;
  cancelAsk();
  const controller = new AbortController();
  clearError();
  // A complete answer on screen moves up into the conversation; the new question follows it up.
  if (state.result && state.question) keepTurn(state.question, state.result);
  resetAnswer();
  state.question = question;
  $("answer-question").textContent = question;
  $("answer-question").hidden = !state.threadId;
  state.controller = controller;
  setAsking(true);
  $("answer-area").hidden = false;
  $("answer-area").setAttribute("aria-busy", "true");
  $("ask-status").textContent = "Searching the documents…";
  let text = "";
  const onEvent = ({ event, data }) => {
    if (event === "delta") {
      if (!text) $("ask-status").textContent = "Writing the answer…";
      text += data?.text ?? "";
      if (state.citations.length) renderAnswerText($("answer-text"), text, state.citations);
      else $("answer-text").textContent = text;
    } else if (event === "citations") {
      showCitations(text, data?.citations ?? []);
    } else if (event === "claims") {
      state.claims = data?.claims ?? [];
      showCitations(text.trim(), state.citations); // the claims' offsets are into the trimmed answer
    }
  };
  try {
    const result = await api.ask(
      { question, collection: state.collection, threadId: state.threadId },
      { signal: controller.signal, onEvent },
    );
    if (state.controller === controller) {
      showResult(result);
      if ($("question").value.trim() === question) $("question").value = ""; // ready for the follow-up
    }
  } catch (error) {
    if (state.controller !== controller) return; // superseded by a newer question or a reset
    $("answer-area").removeAttribute("aria-busy");
    if (error.name === "AbortError") {
      $("ask-status").textContent = text ? "Stopped. The answer above is incomplete." : "Stopped.";
      $("answer-area").hidden = !text;
      return;
    }
    $("ask-status").textContent = text ? "The answer was interrupted and is incomplete." : "The question could not be answered.";
    $("answer-area").hidden = !text;
    showError(error, { retry: ask });
  } finally {
    if (state.controller === controller) {
      state.controller = null;
      setAsking(false);
    }
  }
}

$("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  ask();
});
$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("ask-form").requestSubmit();
  }
});
$("stop-button").addEventListener("click", () => state.controller?.abort());

// Citation markers, reference titles and closest passages all open the source viewer.
function openCitation(marker, opener) {
  const citation = state.citations.find((c) => c.marker === marker);
  if (!citation) return;
  viewer.open(
    {
      documentId: citation.document_id,
      title: citation.title || citation.source,
      page: citation.page,
      start: citation.page_char_start,
      end: citation.page_char_end,
      quote: citation.quote,
    },
    opener,
  );
}

for (const id of ["answer-text", "references"]) {
  $(id).addEventListener("click", (event) => {
    const button = event.target.closest("button[data-marker]");
    if (button) openCitation(Number(button.dataset.marker), button);
  });
}
$("closest-list").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-index]");
  const hit = state.closest[Number(button?.dataset.index)];
  if (hit) viewer.open({ documentId: hit.document_id, title: hit.title || hit.source, page: hit.page_start, quote: hit.text }, button);
});

// ---- copy with citations ------------------------------------------------------------------------

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // No async clipboard (plain-http intranet origin, or permission refused): use the old way below.
  }
  const area = Object.assign(document.createElement("textarea"), { value: text, readOnly: true });
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("The browser would not copy to the clipboard. Select the answer text and copy it by hand.");
}

let copyTimer = null;
$("copy-button").addEventListener("click", async () => {
  if (!state.result) return;
  try {
    await copyText(buildCopyText(state.result));
    $("copy-status").textContent = "Copied";
    clearTimeout(copyTimer);
    copyTimer = setTimeout(() => ($("copy-status").textContent = ""), 3000);
  } catch (error) {
    showError(error);
  }
});

boot();
