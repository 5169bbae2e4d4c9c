// Feedback on an answer: a thumb up, or a thumb down with why (one reason from a fixed list), an optional
// comment and the answer as it should have been. Sent to POST /v1/answers/{answer_id}/feedback; the latest
// feedback on an answer replaces the earlier, so a reviewer may change their mind.

export const REASONS = [
  ["wrong", "Wrong"],
  ["incomplete", "Incomplete"],
  ["wrong_citation", "Wrong citation"],
  ["should_have_refused", "Should have refused"],
  ["should_have_answered", "Should have answered"],
];
export const COMMENT_MAX_CHARS = 2000; // service.core.feedback.COMMENT_MAX_CHARS
export const CORRECTION_MAX_CHARS = 8000;

let made = 0; // unique ids for the labels of each control on the page

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function field(label, control) {
  return element("label", { className: "feedback-field" }, element("span", { textContent: label }), control);
}

/**
 * Put a feedback control for the answer `answerId` into `container` (emptied first; nothing for an answer
 * without an id), showing the `rating` it already has. `api.giveFeedback(answerId, body)` sends it; failures
 * go to `showError`.
 */
export function renderFeedback(container, answerId, { api, showError }, rating = null) {
  container.replaceChildren();
  if (!answerId) return;
  const id = `feedback-${++made}`;
  const up = element("button", { type: "button", className: "feedback-up", textContent: "Helpful" });
  const down = element("button", { type: "button", className: "feedback-down", textContent: "Not right" });
  up.setAttribute("aria-pressed", String(rating === "up"));
  down.setAttribute("aria-pressed", String(rating === "down"));
  const status = element("span", { className: "feedback-status muted" });
  status.setAttribute("role", "status");

  const reason = element("select", { className: "feedback-reason", id: `${id}-reason` });
  reason.append(...REASONS.map(([value, label]) => new Option(label, value)));
  const comment = element("textarea", { className: "feedback-comment", rows: 2, maxLength: COMMENT_MAX_CHARS });
  const correction = element("textarea", { className: "feedback-correction", rows: 3, maxLength: CORRECTION_MAX_CHARS });
  const send = element("button", { type: "submit", className: "primary-button", textContent: "Send feedback" });
  const cancel = element("button", { type: "button", className: "quiet-button", textContent: "Cancel" });
  const form = element(
    "form",
    { className: "feedback-form", hidden: true },
    field("Why", reason),
    field("Comment (optional)", comment),
    field("What the answer should have said (optional)", correction),
    element("div", { className: "feedback-actions" }, send, cancel),
  );
  const row = element("div", { className: "feedback-row" }, element("span", { className: "muted", textContent: "Was this answer right?" }), up, down, status);
  const root = element("div", { className: "feedback" }, row, form);
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "Feedback on this answer");
  container.append(root);

  async function submit(body, done) {
    status.textContent = "Sending…";
    try {
      await api.giveFeedback(answerId, body);
    } catch (error) {
      status.textContent = "Feedback not sent.";
      showError(error);
      return;
    }
    up.setAttribute("aria-pressed", String(body.rating === "up"));
    down.setAttribute("aria-pressed", String(body.rating === "down"));
    form.hidden = true;
    status.textContent = done;
  }

  up.addEventListener("click", () => submit({ rating: "up" }, "Thanks: marked helpful."));
  down.addEventListener("click", () => {
    form.hidden = false;
    status.textContent = "";
    reason.focus();
  });
  cancel.addEventListener("click", () => {
    form.hidden = true;
    down.focus();
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") cancel.click();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { rating: "down", reason: reason.value };
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (correction.value.trim()) body.correction = correction.value.trim();
    submit(body, "Thanks: feedback sent.");
  });
}
