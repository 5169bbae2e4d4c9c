// The caller's saved conversations in the matter, newest first: open one to read it and ask follow-ups,
// rename it in place, or delete it (after a confirmation in place). The list is the server's
// (GET /v1/threads): a key sees only its own conversations.

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/**
 * `getCollection()` names the matter; `getThreadId()` the conversation on screen (marked current);
 * `onOpen(thread)` gets a thread with its turns; `onDeleted(id)` is told of a deleted one.
 */
export function createThreadsList(api, { getCollection, getThreadId, showError, onOpen, onDeleted }) {
  const list = $("threads-list");
  const status = $("threads-status");
  let loading = 0; // a newer load supersedes an older one still in flight

  async function load() {
    const collection = getCollection();
    const mine = ++loading;
    if (!collection) return reset();
    let threads;
    try {
      threads = await api.threads(collection);
    } catch (error) {
      if (mine === loading) showError(error);
      return;
    }
    if (mine !== loading || collection !== getCollection()) return;
    list.replaceChildren(...threads.map(item));
    status.textContent = threads.length ? "" : "No saved conversations yet: your questions are kept here.";
    $("threads").hidden = false;
  }

  function reset() {
    loading++;
    list.replaceChildren();
    status.textContent = "";
    $("threads").hidden = true;
  }

  function item(thread) {
    const li = element("li", { className: "thread-item" });
    li.dataset.threadId = thread.id;
    if (thread.id === getThreadId()) li.setAttribute("aria-current", "true");
    const turns = `${thread.turn_count} question${thread.turn_count === 1 ? "" : "s"}`;
    const open = element("button", { type: "button", className: "thread-open link-button" }, element("span", { className: "thread-title", textContent: thread.title }), element("span", { className: "muted", textContent: ` · ${turns}` }));
    const rename = element("button", { type: "button", className: "quiet-button thread-rename", textContent: "Rename" });
    const remove = element("button", { type: "button", className: "quiet-button thread-delete", textContent: "Delete" });
    rename.setAttribute("aria-label", `Rename “${thread.title}”`);
    remove.setAttribute("aria-label", `Delete “${thread.title}”`);
    li.append(open, element("span", { className: "thread-tools" }, rename, remove));

    open.addEventListener("click", async () => {
      try {
        onOpen(await api.thread(thread.id));
      } catch (error) {
        showError(error);
        if (error.status === 404) load();
      }
    });
    rename.addEventListener("click", () => startRename(li, thread, rename));
    remove.addEventListener("click", () => confirmDelete(li, thread, remove));
    return li;
  }

  function startRename(li, thread, opener) {
    const input = element("input", { type: "text", className: "thread-title-input", value: thread.title, maxLength: 200 });
    input.setAttribute("aria-label", "New name of the conversation");
    const save = element("button", { type: "submit", className: "primary-button", textContent: "Save" });
    const cancel = element("button", { type: "button", className: "quiet-button", textContent: "Cancel" });
    const form = element("form", { className: "thread-rename-form" }, input, save, cancel);
    const previous = [...li.childNodes];
    li.replaceChildren(form);
    input.select();
    const restore = () => {
      li.replaceChildren(...previous);
      opener.focus();
    };
    cancel.addEventListener("click", restore);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") restore();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api.renameThread(thread.id, input.value);
      } catch (error) {
        showError(error);
        return;
      }
      await load();
      list.querySelector(`li[data-thread-id="${thread.id}"] .thread-open`)?.focus();
    });
  }

  function confirmDelete(li, thread, opener) {
    const question = element("span", { textContent: `Delete “${thread.title}” and every answer in it?` });
    const yes = element("button", { type: "button", className: "danger-button", textContent: "Delete" });
    const no = element("button", { type: "button", className: "quiet-button", textContent: "Keep" });
    const previous = [...li.childNodes];
    li.replaceChildren(element("span", { className: "thread-confirm" }, question, yes, no));
    no.focus();
    no.addEventListener("click", () => {
      li.replaceChildren(...previous);
      opener.focus();
    });
    yes.addEventListener("click", async () => {
      try {
        await api.deleteThread(thread.id);
      } catch (error) {
        showError(error);
        return;
      }
      onDeleted(thread.id);
      await load();
      status.textContent = `Deleted “${thread.title}”.`;
    });
  }

  return { load, reset };
}
