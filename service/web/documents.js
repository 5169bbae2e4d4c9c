// The Documents tab: the matter's documents with their status, upload (drag-and-drop or picker,
// with progress and per-file results from the ingest job), and delete behind a confirmation dialog.

import { documentStatus, formatDate, h, percent } from "./render.js";
import { addHeadlines } from "./summary.js";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const OUTCOME_LABELS = {
  new: "Added",
  updated: "Updated",
  unchanged: "Unchanged (already in this matter)",
  failed: "Failed",
  pending: "Processing…",
  interrupted: "Not processed (the server stopped); upload again",
  cancelled: "Not processed (cancelled)",
};
/** "a.pdf: not a readable PDF" shown beside the name a.pdf reads better as "not a readable PDF". */
function withoutFileName(error, name) {
  return error.startsWith(`${name}: `) ? error.slice(name.length + 2) : error;
}

const POLL_FIRST_MS = 800;
const POLL_MAX_MS = 4000;
const POLL_RETRIES = 3; // consecutive failed polls before giving up

/**
 * @param api the client from api.js
 * @param {{getCollection: () => string|null, showError: (e: Error, options?: object) => void,
 *          openDocument: (target: object, opener: Element) => void, onChange?: () => void}} hooks
 *   `onChange` runs after documents were added or deleted (the matter picker shows counts).
 */
export function createDocumentsTab(api, { getCollection, showError, openDocument, onChange = () => {} }) {
  const els = {
    heading: $("documents-heading"),
    matter: $("documents-matter"),
    status: $("documents-status"),
    list: $("documents-list"),
    dropZone: $("drop-zone"),
    choose: $("choose-files"),
    input: $("file-input"),
    progress: $("upload-progress"),
    cancel: $("cancel-upload"),
    uploadStatus: $("upload-status"),
    results: $("upload-results"),
    dialog: $("confirm-dialog"),
    confirmText: $("confirm-text"),
  };
  let documents = [];
  let generation = 0; // bumped on matter change / sign-out so stale loads and polls stop
  let uploading = false;
  let runningJob = null; // the job being processed, while its Cancel button shows

  function renderDocuments() {
    if (!documents.length) {
      els.list.replaceChildren(h("li", { class: "empty muted" }, "No documents in this matter yet. Upload some above."));
      return;
    }
    els.list.replaceChildren(
      ...documents.map((doc) => {
        const [label, badgeClass, reason] = documentStatus(doc);
        const name = doc.title || doc.source;
        const meta = [
          doc.page_count ? `${doc.page_count} page${doc.page_count === 1 ? "" : "s"}` : null,
          doc.media_type,
          doc.updated_at ? `updated ${formatDate(doc.updated_at)}` : null,
        ].filter(Boolean);
        return h(
          "li",
          { class: "document-row", "data-document-id": doc.id, "data-status": doc.status },
          h(
            "div",
            { class: "document-main" },
            doc.status !== "failed" // a document that needs OCR still has pages to look at
              ? h("button", { type: "button", class: "document-open link-button", "data-document-id": doc.id }, name)
              : h("span", { class: "document-name" }, name),
            doc.source && doc.source !== name ? h("span", { class: "document-source" }, doc.source) : null,
            h("span", { class: "document-meta" }, meta.join(" · ")),
          ),
          h(
            "div",
            { class: "document-status" },
            h("span", { class: `badge ${badgeClass}` }, label),
            reason ? h("span", { class: "document-reason" }, withoutFileName(reason, doc.source)) : null,
          ),
          h(
            "button",
            { type: "button", class: "delete-doc danger-button", "data-document-id": doc.id, "aria-label": `Delete ${name}` },
            "Delete",
          ),
        );
      }),
    );
  }

  /** Refresh the list; `note` (e.g. "Deleted “X”.") is kept in front of the count. */
  async function load(note = "") {
    const collection = getCollection();
    if (!collection) return;
    const mine = generation;
    els.matter.textContent = collection;
    els.status.textContent = "Loading documents…";
    try {
      const loaded = await api.documents(collection);
      if (mine !== generation) return;
      documents = loaded;
      renderDocuments();
      addHeadlines(api, collection, els.list);
      const count = `${documents.length} document${documents.length === 1 ? "" : "s"}.`;
      els.status.textContent = note ? `${note} ${count}` : count;
    } catch (error) {
      if (mine !== generation) return;
      els.status.textContent = "The document list could not be loaded.";
      showError(error);
    }
  }

  function reset() {
    generation++;
    documents = [];
    els.list.replaceChildren();
    els.results.replaceChildren();
    els.status.textContent = "";
    els.uploadStatus.textContent = "";
    els.progress.hidden = true;
    setUploading(false);
  }

  function setUploading(value) {
    uploading = value;
    els.choose.disabled = value;
    els.dropZone.classList.toggle("busy", value);
  }

  function renderResults(files) {
    els.results.replaceChildren(
      ...files.map((file) =>
        h(
          "li",
          { class: `upload-result outcome-${file.outcome}`, "data-outcome": file.outcome },
          h("span", { class: "upload-name" }, file.name),
          " — ",
          h("span", { class: "upload-outcome" }, OUTCOME_LABELS[file.outcome] ?? file.outcome),
          file.error ? h("span", { class: "upload-error" }, `: ${withoutFileName(file.error, file.name)}`) : null,
        ),
      ),
    );
  }

  async function upload(files) {
    const collection = getCollection();
    if (!files.length || !collection || uploading) return;
    const mine = generation;
    setUploading(true);
    renderResults(files.map((file) => ({ name: file.name, outcome: "pending" })));
    els.progress.hidden = false;
    els.progress.value = 0;
    const count = `${files.length} file${files.length === 1 ? "" : "s"}`;
    els.uploadStatus.textContent = `Uploading ${count}…`;
    let jobId;
    try {
      ({ job_id: jobId } = await api.upload(collection, files, (fraction) => {
        if (fraction === null) return;
        els.progress.value = fraction * 100;
        els.uploadStatus.textContent = `Uploading ${count}… ${percent(fraction)}`;
      }));
    } catch (error) {
      if (mine !== generation) return;
      els.progress.hidden = true;
      els.uploadStatus.textContent = `Upload failed: ${error.message}`;
      els.results.replaceChildren();
      setUploading(false);
      showError(error, { lead: "Nothing was uploaded." });
      return;
    }
    els.progress.removeAttribute("value"); // indeterminate while the server processes
    els.uploadStatus.textContent = `Uploaded ${count}. Processing…`;
    runningJob = jobId;
    els.cancel.hidden = false;
    els.cancel.disabled = false;
    try {
      await pollJob(jobId, mine);
    } finally {
      if (runningJob === jobId) {
        runningJob = null;
        els.cancel.hidden = true;
      }
    }
    if (mine === generation) setUploading(false);
  }

  async function cancelUpload() {
    const jobId = runningJob;
    if (!jobId) return;
    els.cancel.disabled = true;
    els.uploadStatus.textContent = "Cancelling…";
    try {
      await api.cancelJob(jobId);
    } catch (error) {
      // 409: the job finished meanwhile; the next poll shows how it ended
      if (error.status !== 409) {
        els.cancel.disabled = false;
        showError(error);
      }
    }
  }

  async function pollJob(jobId, mine) {
    let delay = POLL_FIRST_MS;
    let failures = 0;
    let files = [];
    let interrupted = false;
    for (;;) {
      if (mine !== generation) return;
      let job;
      try {
        job = await api.job(jobId);
        failures = 0;
      } catch (error) {
        if (mine !== generation) return;
        if (++failures < POLL_RETRIES && error.status === 0) {
          await sleep(delay);
          continue;
        }
        els.progress.hidden = true;
        els.uploadStatus.textContent = `Stopped checking the upload: ${error.message}`;
        showError(error);
        return;
      }
      if (mine !== generation) return;
      // An interrupted job's server process stopped before it finished: its files still pending were not ingested.
      interrupted = job.status === "interrupted" || job.status === "cancelled";
      files = (job.files ?? []).map((file) =>
        job.status === "interrupted" && file.outcome === "pending" ? { ...file, outcome: "interrupted" } : file,
      );
      renderResults(files);
      if (job.status === "done" || interrupted) break;
      await sleep(delay);
      delay = Math.min(delay * 1.5, POLL_MAX_MS);
    }
    els.progress.hidden = true;
    const tally = {};
    for (const file of files) tally[file.outcome] = (tally[file.outcome] ?? 0) + 1;
    const summary = Object.entries(tally).map(([outcome, n]) => `${n} ${(OUTCOME_LABELS[outcome] ?? outcome).toLowerCase()}`);
    const ending = interrupted ? "Processing stopped before the end" : "Processing finished";
    els.cancel.hidden = true;
    els.uploadStatus.textContent = `${ending}${summary.length ? `: ${summary.join(", ")}` : ""}.`;
    await load();
    onChange();
  }

  async function confirmDelete(doc) {
    const name = doc.title || doc.source;
    // Filings often share a title ("United States Court of Appeals"): name the file too.
    const file = doc.source && doc.source !== name ? ` (${doc.source})` : "";
    els.confirmText.textContent = `Delete “${name}”${file} from ${getCollection()}? It will no longer be searched or cited. This cannot be undone.`;
    els.dialog.returnValue = ""; // Escape leaves the previous value in place
    els.dialog.showModal();
    await new Promise((resolve) => els.dialog.addEventListener("close", resolve, { once: true }));
    if (els.dialog.returnValue !== "delete") return;
    let note = "";
    try {
      await api.deleteDocument(doc.id);
      note = `Deleted “${name}”.`;
      onChange();
    } catch (error) {
      showError(error);
    }
    els.heading.focus(); // the row (and its button) is gone; keep focus somewhere sensible
    await load(note);
  }

  // Delegated clicks: rows are re-rendered often.
  els.list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-document-id]");
    const doc = documents.find((d) => d.id === button?.dataset.documentId);
    if (!doc) return;
    if (button.classList.contains("delete-doc")) confirmDelete(doc);
    else openDocument({ documentId: doc.id, title: doc.title || doc.source, page: 1 }, button);
  });

  els.cancel.addEventListener("click", cancelUpload);
  els.choose.addEventListener("click", () => els.input.click());
  els.input.addEventListener("change", () => {
    const files = [...els.input.files];
    els.input.value = ""; // choosing the same file again must fire "change" again
    upload(files);
  });
  els.dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    els.dropZone.classList.add("dragging");
  });
  els.dropZone.addEventListener("dragleave", () => els.dropZone.classList.remove("dragging"));
  els.dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    els.dropZone.classList.remove("dragging");
    upload([...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped beside the zone would otherwise make the browser navigate away from the app.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());

  return { load, reset };
}
