// Confab's composer uploads (kept small; no framework). Without JavaScript the composer is
// a plain multipart form with a file input; with it:
// - files chosen with the Attach button, dropped onto the conversation or pasted into the
//   composer upload at once (POST /api/attachments; XMLHttpRequest, for its progress),
//   each with a progress bar and a Cancel button;
// - a finished upload shows as a chip (name, size, Remove); the form's hidden
//   `attachment_ids` field lists the finished ones (comma-separated, in order), so sending
//   the form attaches them (app.js clears chips and field after a send: they are marked
//   `data-clear-on-send`);
// - the message may be files only; Send waits while an upload is still running;
// - an upload the server refuses shows its reason (too large, an empty file…) in its chip.
"use strict";

(() => {
  const MAX_FILES = 10;
  const form = document.querySelector("form[data-composer]");
  const picker = form?.querySelector('input[type="file"]');
  if (!form || !picker) return;
  const area = form.querySelector("textarea");
  const send = form.querySelector('button[type="submit"]');
  const wasRequired = area?.required ?? false;
  const csrf = () =>
    document.getElementById("live")?.dataset.csrf ?? form.querySelector('input[name="csrf_token"]')?.value ?? "";

  // The plain input stays for the no-script form; here the chips carry the files instead.
  picker.removeAttribute("name");
  picker.hidden = true;
  picker.closest("label")?.setAttribute("hidden", "");
  const attach = document.createElement("button");
  attach.type = "button";
  attach.className = "attach";
  attach.textContent = "Attach";
  attach.setAttribute("aria-label", "Attach files");
  attach.addEventListener("click", () => picker.click());
  const list = document.createElement("ul");
  list.className = "upload-list";
  list.setAttribute("aria-label", "Attachments");
  list.setAttribute("aria-live", "polite");
  form.prepend(list);
  if (send) send.before(attach);
  else form.append(attach);

  /** Uploads still running. */
  const running = new Set();

  const chips = () => list.querySelectorAll(":scope > .upload-chip");
  const ids = () => [...list.querySelectorAll(":scope > .upload-chip[data-attachment-id]")].map((li) => li.dataset.attachmentId);
  const attached = () => ids().length;

  /** The one `attachment_ids` field, kept in step with the finished chips. */
  function syncIds() {
    let field = form.querySelector('input[name="attachment_ids"]');
    const value = ids().join(",");
    if (!value) {
      field?.remove();
      return;
    }
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "attachment_ids";
      field.dataset.clearOnSend = "";
      list.after(field);
    }
    field.value = value;
  }

  /** Send waits for running uploads; an empty message is fine once files are attached. */
  function refresh() {
    syncIds();
    if (send) {
      send.disabled = running.size > 0;
      send.title = running.size > 0 ? "Waiting for uploads to finish" : "";
    }
    if (area && wasRequired) area.required = attached() === 0;
    list.hidden = chips().length === 0;
  }

  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function button(label, name, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link chip-action";
    b.textContent = label;
    b.setAttribute("aria-label", `${label} ${name}`);
    b.addEventListener("click", onClick);
    return b;
  }

  function chip(name) {
    const li = document.createElement("li");
    li.className = "upload-chip";
    li.dataset.clearOnSend = "";
    const label = document.createElement("span");
    label.className = "chip-name";
    label.textContent = name;
    label.title = name;
    li.append(label);
    list.append(li);
    return li;
  }

  function failed(li, name, message) {
    li.classList.add("failed");
    li.replaceChildren(li.querySelector(".chip-name"));
    const why = document.createElement("span");
    why.className = "chip-error";
    why.setAttribute("role", "alert");
    why.textContent = message;
    li.append(why, button("Dismiss", name, () => forget(li)));
    refresh();
  }

  function forget(li) {
    li.remove();
    refresh();
    area?.focus();
  }

  /** The server's `{error}` sentence, else a readable line for the status. */
  function reason(xhr) {
    try {
      const error = JSON.parse(xhr.responseText)?.error;
      if (error) return error;
    } catch {
      // not JSON: a proxy's page or an empty body
    }
    if (xhr.status === 413) return "This file is too large.";
    if (xhr.status === 0) return "The upload did not reach the server.";
    return `The upload failed (${xhr.status}).`;
  }

  function upload(file) {
    const li = chip(file.name || "pasted file");
    const name = file.name || "pasted file";
    if (attached() + running.size >= MAX_FILES) {
      failed(li, name, `At most ${MAX_FILES} files can go with one message.`);
      return;
    }
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `Uploading ${name}`);
    const xhr = new XMLHttpRequest();
    const done = () => {
      running.delete(xhr);
      refresh();
    };
    li.append(
      bar,
      button("Cancel", `upload of ${name}`, () => {
        xhr.abort();
        forget(li);
      }),
    );
    li.classList.add("uploading");
    running.add(xhr);
    refresh();

    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      else bar.removeAttribute("value");
    });
    xhr.addEventListener("load", () => {
      done();
      if (xhr.status !== 201) {
        failed(li, name, reason(xhr));
        return;
      }
      let attachment;
      try {
        attachment = JSON.parse(xhr.responseText);
      } catch {
        failed(li, name, "The server's answer was not understood.");
        return;
      }
      const about = document.createElement("span");
      about.className = "chip-size muted";
      about.textContent = size(attachment.size ?? file.size);
      li.classList.remove("uploading");
      li.replaceChildren(li.querySelector(".chip-name"), about, button("Remove", name, () => forget(li)));
      li.dataset.attachmentId = attachment.id;
      refresh();
    });
    xhr.addEventListener("error", () => {
      done();
      failed(li, name, reason(xhr));
    });
    xhr.addEventListener("abort", done);

    const body = new FormData();
    body.append("file", file, name);
    xhr.open("POST", "/api/attachments");
    xhr.setRequestHeader("x-csrf-token", csrf());
    xhr.setRequestHeader("accept", "application/json");
    xhr.send(body);
  }

  function uploadAll(files) {
    for (const file of files) upload(file);
  }

  picker.addEventListener("change", () => {
    uploadAll([...picker.files]);
    picker.value = "";
  });

  // Pasted images (a screenshot) upload like picked files; pasted text stays text.
  form.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    uploadAll(files);
  });

  // Files dropped anywhere on the conversation.
  const zone = form.closest("#chat") ?? form;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  let depth = 0;
  zone.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    depth++;
    zone.classList.add("drop-target");
  });
  zone.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove("drop-target");
  });
  zone.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove("drop-target");
    uploadAll([...event.dataTransfer.files]);
  });

  // No send (Enter included) while an upload runs: its id would be missing from the message.
  window.addEventListener(
    "submit",
    (event) => {
      if (event.target !== form || running.size === 0) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true,
  );
  // After a send app.js removes the chips (data-clear-on-send): the form is as new.
  new MutationObserver(refresh).observe(list, { childList: true });
  refresh();
})();
