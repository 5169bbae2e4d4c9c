// The docqa HTTP API client: one fetch wrapper, an SSE reader for streamed answers, and an
// XMLHttpRequest upload (fetch cannot report upload progress). Every failure becomes an ApiError
// carrying the server's error envelope, so the UI has exactly one kind of error to show.

/** An API failure: `code` and `message` come from the `{"error": {...}}` envelope when there is one. */
export class ApiError extends Error {
  constructor(status, code, message, detail = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const NETWORK_MESSAGE =
  "Could not reach the docqa server. Check your network connection and try again.";

function networkError(cause) {
  const error = new ApiError(0, "network_error", NETWORK_MESSAGE);
  error.cause = cause;
  return error;
}

/** Build an ApiError from a response body that is (ideally) the error envelope. */
function errorFromBody(status, statusText, bodyText) {
  try {
    const envelope = JSON.parse(bodyText).error;
    if (envelope && typeof envelope.message === "string") {
      return new ApiError(status, String(envelope.code ?? "error"), envelope.message, envelope.detail ?? null);
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall through to a generic message.
  }
  const reason = statusText ? `${status} ${statusText}` : String(status);
  return new ApiError(status, `http_${status}`, `The server answered ${reason} without an explanation.`);
}

/** Read `text/event-stream` from a fetch Response, yielding `{event, data}` with `data` parsed as JSON. */
export async function* readEventStream(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let dataLines = [];

  const dispatch = () => {
    const message = dataLines.length ? { event, data: parseData(event, dataLines.join("\n")) } : null;
    event = "message";
    dataLines = [];
    return message;
  };

  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece may be a partial line; keep it for the next chunk (or flush it at the end).
    buffer = done ? "" : lines.pop();
    for (const line of lines) {
      if (line === "") {
        const message = dispatch();
        if (message) yield message;
      } else if (line.startsWith(":")) {
        continue; // comment / keep-alive
      } else {
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") dataLines.push(value);
      }
    }
    if (done) {
      const message = dispatch();
      if (message) yield message;
      return;
    }
  }
}

function parseData(event, text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(200, "bad_stream", `The server sent an unreadable "${event}" event.`);
  }
}

/**
 * @param {{getKey: () => (string|null), onUnauthorized?: (error: ApiError) => void}} options
 *   `onUnauthorized` runs on every 401 before the error is thrown (the app signs out there).
 */
export function createClient({ getKey, onUnauthorized = () => {} }) {
  function headers(extra = {}) {
    const key = getKey();
    return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
  }

  function fail(error) {
    if (error.status === 401) onUnauthorized(error);
    throw error;
  }

  /** Send a request and return the Response when it is 2xx; throw ApiError otherwise. */
  async function send(method, path, { json, signal, accept = "application/json" } = {}) {
    const init = { method, signal, headers: headers({ Accept: accept }) };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (cause) {
      if (cause?.name === "AbortError") throw cause;
      fail(networkError(cause));
    }
    if (!response.ok) {
      const bodyText = await response.text().catch(() => "");
      fail(errorFromBody(response.status, response.statusText, bodyText));
    }
    return response;
  }

  async function getJson(path, options) {
    const response = await send("GET", path, options);
    try {
      return await response.json();
    } catch {
      throw new ApiError(response.status, "bad_response", `The server sent an unreadable answer for ${path}.`);
    }
  }

  const enc = encodeURIComponent;

  return {
    whoami: () => getJson("/v1/whoami"),
    collections: async () => (await getJson("/v1/collections")).collections,
    documents: async (collection) => (await getJson(`/v1/collections/${enc(collection)}/documents`)).documents,
    document: (id) => getJson(`/v1/documents/${enc(id)}`),
    summary: (id) => getJson(`/v1/documents/${enc(id)}/summary`),
    headlines: async (collection) => (await getJson(`/v1/summaries?collection=${enc(collection)}`)).headlines,
    chronology: async (collection) => (await getJson(`/v1/chronology?collection=${enc(collection)}`)).events,
    async chronologyCsv(collection) {
      return (await send("GET", `/v1/chronology?collection=${enc(collection)}&format=csv`, { accept: "text/csv" })).blob();
    },
    page: (id, page, { signal } = {}) => getJson(`/v1/documents/${enc(id)}/pages/${page}`, { signal }),
    highlight: (id, page, start, end, { signal } = {}) =>
      getJson(`/v1/documents/${enc(id)}/pages/${page}/highlight?start=${start}&end=${end}`, { signal }),
    /** The citations on one page (spans in its text, normalised authorities), for the source viewer. */
    pageCitations: (id, page, { signal } = {}) => getJson(`/v1/documents/${enc(id)}/pages/${page}/citations`, { signal }),
    job: (jobId) => getJson(`/v1/jobs/${enc(jobId)}`),

    /** The matter's entities (people, organisations...), most mentioned first; `type` narrows them. */
    entities: (collection, type) =>
      getJson(`/v1/entities?collection=${enc(collection)}${type ? `&type=${enc(type)}` : ""}`),
    /** One page of an entity's mentions, in document and page order. */
    entityMentions: (id, { offset = 0, limit = 100 } = {}) =>
      getJson(`/v1/entities/${enc(id)}/mentions?offset=${offset}&limit=${limit}`),

    /** Every hit of a record query, in document order: one page of `limit` hits from `offset`. */
    async recordSearch({ query, collection, offset = 0, limit = 100 }, { signal } = {}) {
      const response = await send("POST", "/v1/record/search", { json: { query, collection, offset, limit }, signal });
      return response.json();
    },

    /** A search-term report of `terms` (one query each). */
    async termReport({ terms, collection }, { signal } = {}) {
      const response = await send("POST", "/v1/record/terms", { json: { terms, collection }, signal });
      return response.json();
    },

    /** The same report as a CSV Blob, for download. */
    async termReportCsv({ terms, collection }) {
      const response = await send("POST", "/v1/record/terms", { json: { terms, collection, format: "csv" }, accept: "text/csv" });
      return response.blob();
    },

    /** The rendered page as a Blob (fetched, not <img src>, so the auth header goes with it). */
    async pageImage(id, page, { signal } = {}) {
      const response = await send("GET", `/v1/documents/${enc(id)}/pages/${page}/image`, { signal, accept: "image/png" });
      return response.blob();
    },

    /** Cancel a queued or running upload job; resolves with the job (status `cancelled`). */
    async cancelJob(jobId) {
      const response = await send("DELETE", `/v1/jobs/${enc(jobId)}`);
      return response.json();
    },

    async deleteDocument(id) {
      await send("DELETE", `/v1/documents/${enc(id)}`);
    },

    /** The caller's saved conversations in a matter, newest first; one with its turns; rename; delete. */
    threads: async (collection) => (await getJson(`/v1/threads?collection=${enc(collection)}`)).threads,
    thread: (id) => getJson(`/v1/threads/${enc(id)}`),
    async renameThread(id, title) {
      return (await send("PATCH", `/v1/threads/${enc(id)}`, { json: { title } })).json();
    },
    async deleteThread(id) {
      await send("DELETE", `/v1/threads/${enc(id)}`);
    },

    /** Rate an answer: `{rating, reason?, comment?, correction?}`. */
    async giveFeedback(answerId, body) {
      return (await send("POST", `/v1/answers/${enc(answerId)}/feedback`, { json: body })).json();
    },

    /**
     * Ask a question with streaming. `onEvent({event, data})` sees every SSE event; the promise
     * resolves with the `done` payload (the full answer object). A plain JSON reply (a server that
     * does not stream) is accepted too.
     */
    async ask({ question, collection, k, threadId }, { signal, onEvent = () => {} } = {}) {
      const body = { question, collection, stream: true };
      if (k !== undefined) body.k = k;
      if (threadId) body.thread_id = threadId; // a follow-up in that conversation
      const response = await send("POST", "/v1/ask", { json: body, signal, accept: "text/event-stream" });
      const type = response.headers.get("Content-Type") ?? "";
      if (!type.includes("text/event-stream")) return response.json();
      const events = readEventStream(response);
      for (;;) {
        let step;
        try {
          step = await events.next();
        } catch (cause) {
          // A dropped connection mid-answer surfaces here as a TypeError from the reader.
          if (cause instanceof ApiError || cause?.name === "AbortError") throw cause;
          throw networkError(cause);
        }
        if (step.done) break;
        const message = step.value;
        if (message.event === "error") {
          const envelope = message.data?.error ?? {};
          fail(new ApiError(200, envelope.code ?? "error", envelope.message ?? "The answer failed part-way.", envelope.detail ?? null));
        }
        onEvent(message);
        if (message.event === "done") return message.data;
      }
      throw new ApiError(200, "stream_ended", "The answer stream ended before the answer was complete. Please ask again.");
    },

    /** Upload files with progress; resolves with `{job_id}`. `onProgress(fraction|null)`. */
    upload(collection, files, onProgress = () => {}) {
      return new Promise((resolve, reject) => {
        const form = new FormData();
        for (const file of files) form.append("files", file, file.name);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", `/v1/collections/${enc(collection)}/documents`);
        for (const [name, value] of Object.entries(headers({ Accept: "application/json" }))) {
          xhr.setRequestHeader(name, value);
        }
        xhr.upload.addEventListener("progress", (event) => {
          onProgress(event.lengthComputable ? event.loaded / event.total : null);
        });
        xhr.addEventListener("error", () => reject(networkError(null)));
        xhr.addEventListener("load", () => {
          if (xhr.status >= 200 && xhr.status < 300) {
            try {
              resolve(JSON.parse(xhr.responseText));
            } catch {
              reject(new ApiError(xhr.status, "bad_response", "The server accepted the upload but sent an unreadable answer."));
            }
            return;
          }
          const error = errorFromBody(xhr.status, xhr.statusText, xhr.responseText);
          if (error.status === 401) onUnauthorized(error);
          reject(error);
        });
        xhr.send(form);
      });
    },
  };
}
