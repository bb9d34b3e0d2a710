// Guides Asset Processor: the little behaviour htmx does not give by attributes.
// Toasts, the New Process dialog and its folder tree, and keeping the log viewer scrolled.
(function () {
  "use strict";

  // --- toasts ---------------------------------------------------------------------------------

  const toasts = document.getElementById("toasts");

  function dismissLater(toast, level) {
    setTimeout(() => toast.remove(), level === "error" ? 12000 : 6000);
  }

  function showToast({ title, message, level = "success", url = "", link = "" }) {
    const toast = document.createElement("div");
    toast.className = `toast toast-${level === "error" ? "error" : "success"}`;
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    const text = document.createElement("div");
    text.className = "toast-text";
    const heading = document.createElement("strong");
    heading.textContent = title || (level === "error" ? "Error" : "Success");
    const body = document.createElement("span");
    body.textContent = message;
    text.append(heading, body);
    if (url) {
      // A toast may point at what the action made (the execution a Reprocess started).
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.className = "toast-link";
      anchor.textContent = link || url;
      text.append(anchor);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    toast.append(text, close);
    toasts.append(toast);
    dismissLater(toast, level);
  }

  toasts.addEventListener("click", (event) => {
    const close = event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
  });
  toasts.querySelectorAll("[data-auto-dismiss]").forEach((toast) => dismissLater(toast, "success"));

  // The server names toasts in HX-Trigger; errors without words get a generic one.
  document.body.addEventListener("toast", (event) => showToast(event.detail));
  document.body.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr.getResponseHeader("HX-Trigger")) {
      showToast({ level: "error", message: `The server answered ${xhr.status}. Try again in a moment.` });
    }
  });
  document.body.addEventListener("htmx:sendError", () => {
    showToast({ level: "error", message: "The server cannot be reached. Check the connection and try again." });
  });

  // --- polling only while the page is seen ---------------------------------------------------

  // Elements marked data-poll skip their requests while the tab is hidden (the policy forbids the
  // eval that an hx-trigger filter would need), and refresh once it is shown again.
  document.body.addEventListener("htmx:confirm", (event) => {
    const elt = event.detail.elt;
    if (!elt.hasAttribute("data-poll")) return;
    if (document.visibilityState !== "visible" || (elt.id === "log-follower" && logIsFull())) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") htmx.trigger(document.body, "page-visible");
  });

  // --- times in the browser's zone ------------------------------------------------------------

  // The server writes <time datetime="ISO"> with its own zone as text; here they become the
  // reader's zone, named. Log lines keep a short clock with the full time in the title.
  const dateTime = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23", timeZoneName: "short",
  });
  const clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  const day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit" });
  const clockZone = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });

  function localTimes() {
    document.querySelectorAll("time[datetime]:not([data-local])").forEach((element) => {
      const when = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(when.getTime())) return;
      element.dataset.local = "";
      if (element.closest(".log-line")) {
        element.textContent = clock.format(when);
        element.title = dateTime.format(when);
      } else if (element.closest(".col-time")) {
        // The table's narrow columns: the day above the time.
        element.replaceChildren(day.format(when), document.createElement("br"), clockZone.format(when));
        element.title = dateTime.format(when);
      } else {
        element.textContent = dateTime.format(when);
      }
    });
  }
  localTimes();
  document.body.addEventListener("htmx:afterSwap", localTimes);
  document.body.addEventListener("htmx:oobAfterSwap", localTimes);

  // --- the keyboard focus through swaps -------------------------------------------------------

  // htmx gives the focus back to the element of the new content with the id of the one that had
  // it (the facets' boxes, the pagers' links). Where that element is gone for good, the focus
  // would fall to <body> and the next Tab start from the top of the page: "Show more" hands it
  // to the first row it shows; a pager whose "Next page" is gone, to its [data-focus-fallback].
  // Noted when the request starts: hx-disabled-elt then takes the focus from the button.
  let focusBefore = null;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const target = event.detail.target;
    const active = document.activeElement;
    focusBefore =
      target && active && active !== document.body && target.contains(active)
        ? { target, id: target.id, previous: target.previousElementSibling, parent: target.parentElement }
        : null;
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const before = focusBefore;
    if (!before || event.detail.target !== before.target) return;
    focusBefore = null;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    let next = null;
    if (before.target.matches(".more-row")) {
      next = before.previous ? before.previous.nextElementSibling : before.parent.firstElementChild;
      if (next && next.matches(".more-row")) next = next.querySelector("button");
      else if (next) next.tabIndex = -1;
    } else if (before.id) {
      const region = document.getElementById(before.id);
      next = region && region.querySelector("[data-focus-fallback]");
    }
    if (next) next.focus({ preventScroll: true });
  });

  // A control whose request swaps nothing around it (hx-swap="none": the row actions, the
  // detail page's actions, Reprocess) lost the focus to <body> when hx-disabled-elt disabled
  // it. Once the answer is in, the focus goes back to it, or, where the refresh that follows
  // replaced it, to the element that took its id; an action that is gone (Cancel, once
  // cancelled) hands it to the first action its row, or the detail page, offers now. Given up
  // after a few seconds, or as soon as the focus is anywhere else.
  let lostControl = null;
  // Kept until it is given back or expires: a poll that starts meanwhile (with the focus on
  // <body>) must not forget it.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const active = document.activeElement;
    const elt = event.detail.elt;
    if (elt && active && active !== document.body && (elt === active || elt.contains(active))) {
      lostControl = { element: active, id: active.id, group: groupOf(active), until: Date.now() + 5000 };
    }
  });
  // Where the actions that replace a vanished one are: the detail page's bar, or the row's.
  function groupOf(control) {
    if (control.closest(".actions-bar")) return "#execution-detail";
    const row = control.closest(".row-actions") && control.closest("tr[id]");
    return row ? `#${CSS.escape(row.id)}` : null;
  }
  function giveBackFocus() {
    const lost = lostControl;
    if (!lost) return;
    const active = document.activeElement;
    if ((active && active !== document.body) || Date.now() > lost.until) {
      lostControl = null;
      return;
    }
    let next = lost.element.isConnected ? lost.element : lost.id && document.getElementById(lost.id);
    if (!next && lost.group) {
      const group = document.querySelector(lost.group);
      next = group && group.querySelector(".actions-bar button:not([disabled]), .row-actions button:not([disabled])");
    }
    if (next && !next.disabled && next.isConnected) {
      next.focus({ preventScroll: true });
      if (document.activeElement === next) lostControl = null;
    }
  }
  // A refresh that replaces the focused control (a row redrawn by the poll, Cancel gone once
  // the run is cancelled) does the same.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const active = document.activeElement;
    const target = event.detail.target;
    if (active && active !== document.body && target && target.contains(active) && groupOf(active)) {
      lostControl = { element: active, id: active.id, group: groupOf(active), until: Date.now() + 5000 };
    }
  });
  // After htmx has enabled the control again (it does so as the request ends), and after each
  // swap that may bring its successor.
  document.body.addEventListener("htmx:afterRequest", () => setTimeout(giveBackFocus, 0));
  document.body.addEventListener("htmx:afterSettle", giveBackFocus);

  // --- dialogs --------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog && !dialog.open) {
        dialog.showModal();
        dialog.dispatchEvent(new CustomEvent("dialog-opened"));
      }
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  // --- the folder picker of New Process -------------------------------------------------------

  const dialog = document.getElementById("new-process");
  if (dialog) setUpPicker(dialog);

  function setUpPicker(dialog) {
    const form = dialog.querySelector("form");
    const tree = dialog.querySelector("#folder-tree");
    const pathInput = dialog.querySelector("#selected-path");
    const selectedText = dialog.querySelector("#selected-folder");
    const excludedList = dialog.querySelector("#excluded-summary");
    const errors = dialog.querySelector("#new-process-errors");
    const root = tree.querySelector('[role="treeitem"]');
    const preview = dialog.querySelector("#new-process-preview");
    const morePaths = dialog.querySelector("#selected-paths");
    // The folders to process, in the order they were chosen: Enter (or a click) chooses one
    // alone, Ctrl+Enter (or Ctrl+click) adds one or takes it out again.
    let chosen = [];

    // The dates are typed in the reader's zone, the one the console shows times in; the server
    // reads them in it (its own zone, named in the page, when this does not run).
    const zoneInput = dialog.querySelector("#time-zone");
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zoneInput && zone) {
      zoneInput.value = zone;
      dialog.querySelector("#time-zone-name").textContent = zone;
    }

    // A preview answers the request it was made for: any change makes it go.
    const previewIsStale = () => preview && preview.replaceChildren();
    form.addEventListener("change", previewIsStale);

    const within = (path, folder) => path === folder || path.startsWith(folder + "/");
    const items = () => Array.from(tree.querySelectorAll('[role="treeitem"]'));
    const visibleItems = () => items().filter((item) => !item.closest("ul[hidden]"));
    const boxOf = (item) => item.querySelector(":scope > .tree-row > .exclude-box");
    const groupOf = (item) => item.querySelector(":scope > ul");
    const parentOf = (item) => item.parentElement.closest('[role="treeitem"]');

    function focusItem(item) {
      if (!item) return;
      tree.querySelectorAll('[role="treeitem"][tabindex="0"]').forEach((other) => {
        if (other !== item) other.tabIndex = -1;
      });
      item.tabIndex = 0;
      item.focus();
    }

    // Recompute every row from the selection and the ticked boxes: only folders strictly inside
    // a chosen one can be excluded, and nothing inside an excluded folder needs to be.
    function refresh() {
      const excluded = Array.from(tree.querySelectorAll(".exclude-box:checked")).map((box) => box.value);
      for (const item of items()) {
        const path = item.dataset.path;
        if (!path) continue;
        item.setAttribute("aria-selected", String(chosen.includes(path)));
        const box = boxOf(item);
        if (!box) continue;
        const inside = chosen.some((folder) => path !== folder && within(path, folder));
        const underExcluded = excluded.some((folder) => folder !== path && within(path, folder));
        const allowed = inside && !underExcluded;
        box.disabled = !allowed;
        if (!allowed) box.checked = false;
        if (allowed) item.setAttribute("aria-checked", String(box.checked));
        else item.removeAttribute("aria-checked");
        item.classList.toggle("is-inside-excluded", inside && underExcluded);
      }
      pathInput.value = chosen[0] || "";
      morePaths.replaceChildren(
        ...chosen.slice(1).map((path) => {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = "paths";
          input.value = path;
          return input;
        }),
      );
      selectedText.textContent = chosen.join("\n") || "None selected";
      selectedText.classList.toggle("muted", !chosen.length);
      const ticked = Array.from(tree.querySelectorAll(".exclude-box:checked")).map((box) => box.value);
      excludedList.replaceChildren(
        ...(ticked.length ? ticked : [null]).map((path) => {
          const li = document.createElement("li");
          li.textContent = path || "None";
          if (!path) li.className = "muted";
          return li;
        }),
      );
    }

    function select(item) {
      if (!item.dataset.path) return;
      if (chosen.length !== 1 || chosen[0] !== item.dataset.path) previewIsStale();
      chosen = [item.dataset.path];
      errors.replaceChildren();
      refresh();
    }

    // Ctrl+Enter, Ctrl+click: one more folder, or one fewer. A folder inside (or around) one
    // already chosen replaces it, since one execution cannot process a folder twice.
    function toggleChosen(item) {
      const path = item.dataset.path;
      if (!path) return;
      if (chosen.includes(path)) chosen = chosen.filter((other) => other !== path);
      else chosen = [...chosen.filter((other) => !within(other, path) && !within(path, other)), path];
      previewIsStale();
      errors.replaceChildren();
      refresh();
    }

    function toggleExcluded(item) {
      const box = boxOf(item);
      if (!box || box.disabled) return false;
      box.checked = !box.checked;
      previewIsStale();
      refresh();
      return true;
    }

    function cannotExclude(item) {
      const hint = document.createElement("div");
      hint.className = "form-hint";
      hint.setAttribute("role", "status");
      const path = item.dataset.path;
      hint.textContent = chosen.includes(path)
        ? `${path} is a folder to process: only its sub-folders can be excluded.`
        : `${path} cannot be excluded: only a sub-folder of a folder to process can. ` +
          "Enter chooses it instead; Ctrl+Enter adds it.";
      errors.replaceChildren(hint);
    }

    // htmx makes the tree's requests (sign-out redirects, errors, the CSRF header as everywhere);
    // the tree only decides when. A 400 carries the reason as a tree note, so it is swapped.
    tree.addEventListener("htmx:beforeSwap", (event) => {
      if (event.detail.xhr.status === 400) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });

    const load = (url, target, swap) => htmx.ajax("GET", url, { source: target, target, swap });

    function note(text, isError) {
      const li = document.createElement("li");
      li.setAttribute("role", "none");
      li.className = isError ? "tree-note tree-error" : "tree-note";
      li.textContent = text;
      return li;
    }

    async function expand(item) {
      if (item.getAttribute("aria-expanded") !== "false") return;
      const group = groupOf(item);
      item.setAttribute("aria-expanded", "true");
      group.hidden = false;
      if (item.dataset.loaded) return;
      item.dataset.loaded = "loading";
      const waiting = note("Loading…");
      group.replaceChildren(waiting);
      await load(item.dataset.children, group, "innerHTML");
      if (group.contains(waiting)) {
        // Not swapped: the server or the network failed (a toast says which).
        delete item.dataset.loaded;
        group.replaceChildren(note("Could not load the sub-folders.", true));
        return;
      }
      item.dataset.loaded = "yes";
      refresh();
    }

    function collapse(item) {
      if (item.getAttribute("aria-expanded") !== "true") return;
      item.setAttribute("aria-expanded", "false");
      groupOf(item).hidden = true;
    }

    async function loadMore(item) {
      const parent = item.parentElement;
      const index = Array.from(parent.children).indexOf(item);
      const previous = item.previousElementSibling;
      await load(item.dataset.more, item, "outerHTML");
      if (parent.contains(item)) {
        item.querySelector(".tree-label").textContent = "Could not load more folders.";
        return;
      }
      refresh();
      const next = parent.children[index];
      focusItem(next && next.matches('[role="treeitem"]') ? next : previous);
    }

    function activate(item) {
      if (item.dataset.more) loadMore(item);
      else select(item);
    }

    tree.addEventListener("click", (event) => {
      const item = event.target.closest('[role="treeitem"]');
      if (!item) return;
      if (event.target.matches(".exclude-box")) {
        focusItem(item);
        return; // the box toggles itself; "change" refreshes
      }
      focusItem(item);
      if (event.target.closest(".twisty")) {
        if (item.getAttribute("aria-expanded") === "true") collapse(item);
        else expand(item);
        return;
      }
      if ((event.ctrlKey || event.metaKey) && !item.dataset.more) toggleChosen(item);
      else activate(item);
    });
    tree.addEventListener("dblclick", (event) => {
      const item = event.target.closest('[role="treeitem"][aria-expanded]');
      if (item && !event.target.closest(".twisty, .exclude-box")) {
        if (item.getAttribute("aria-expanded") === "true") collapse(item);
        else expand(item);
      }
    });
    tree.addEventListener("change", (event) => {
      if (event.target.matches(".exclude-box")) refresh();
    });

    tree.addEventListener("keydown", (event) => {
      const item = event.target.closest('[role="treeitem"]');
      if (item && event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
        if (!item.dataset.more) toggleChosen(item);
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
      const visible = visibleItems();
      const index = visible.indexOf(item);
      const expanded = item.getAttribute("aria-expanded");
      let handled = true;
      switch (event.key) {
        case "ArrowDown":
          focusItem(visible[index + 1]);
          break;
        case "ArrowUp":
          focusItem(visible[index - 1]);
          break;
        case "Home":
          focusItem(visible[0]);
          break;
        case "End":
          focusItem(visible[visible.length - 1]);
          break;
        case "ArrowRight":
          if (expanded === "false") expand(item);
          else if (expanded === "true") {
            const child = groupOf(item).querySelector('[role="treeitem"]');
            if (child) focusItem(child);
          }
          break;
        case "ArrowLeft":
          if (expanded === "true") collapse(item);
          else focusItem(parentOf(item));
          break;
        case "Enter":
          activate(item);
          break;
        case " ":
          // Space excludes; on a folder that cannot be excluded it chooses the folder only while
          // none is chosen, and otherwise says why rather than replacing the choice.
          if (!toggleExcluded(item)) {
            if (!chosen.length) activate(item);
            else cannotExclude(item);
          }
          break;
        default:
          handled = false;
      }
      if (handled) {
        event.preventDefault();
        event.stopPropagation();
      }
    });

    dialog.addEventListener("dialog-opened", () => {
      expand(root);
      const current = tree.querySelector('[role="treeitem"][tabindex="0"]') || root;
      focusItem(current);
    });

    document.body.addEventListener("process-created", () => {
      chosen = [];
      form.reset();
      previewIsStale();
      tree.querySelectorAll(".exclude-box").forEach((box) => (box.checked = false));
      refresh();
      dialog.close();
      const opener = document.getElementById("new-process-button");
      if (opener) opener.focus();
    });
  }

  // --- the log viewer -------------------------------------------------------------------------

  const logBox = document.getElementById("log-box");
  const stickBox = document.getElementById("log-stick");
  const atEnd = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 24;
  const following = () => logBox && (atEnd(logBox) || (stickBox && stickBox.checked));
  const windowSize = () => Number(logBox.dataset.window) || 5000;

  // A reader scrolled up keeps what they read: new lines wait (the follower skips its polls)
  // until they come back to the end; the server then jumps ahead and offers what was skipped.
  function logIsFull() {
    return Boolean(logBox) && !following() && logBox.querySelectorAll(".log-line").length >= windowSize();
  }

  if (logBox) setUpLog(logBox);

  function setUpLog(box) {
    let pending = null;
    // Scroll events caused by the viewer itself must not read as the reader scrolling up.
    let quietUntil = 0;
    const scrollTo = (top) => {
      quietUntil = performance.now() + 200;
      box.scrollTop = top;
    };

    scrollTo(box.scrollHeight);

    // Keep at most the window's lines: the oldest leave the page, a button brings them back.
    function trim() {
      const lines = box.querySelectorAll(".log-line");
      const extra = lines.length - windowSize();
      if (extra <= 0) return;
      const first = lines[extra];
      const height = box.scrollHeight;
      while (box.firstChild && box.firstChild !== first) box.firstChild.remove();
      const earlier = Number(first.dataset.line);
      const button = document.createElement("button");
      button.type = "button";
      button.id = "load-earlier";
      button.className = "button quiet load-earlier";
      button.setAttribute("hx-get", `${box.dataset.earlierUrl}?before=${earlier}`);
      button.setAttribute("hx-target", "this");
      button.setAttribute("hx-swap", "outerHTML");
      button.setAttribute("hx-disabled-elt", "this");
      const count = document.createElement("span");
      count.className = "muted";
      count.textContent = `(${earlier} before these)`;
      button.append("Load earlier lines ", count);
      box.insertBefore(button, first);
      htmx.process(button);
      scrollTo(box.scrollTop - (height - box.scrollHeight));
    }

    // Earlier (or skipped) lines are put above what is read, so keep the view where it was; new
    // lines at the end are followed when the view is at the end or the box is ticked.
    box.addEventListener("htmx:beforeSwap", (event) => {
      const target = event.detail.target;
      pending = {
        earlier: target.matches(".load-earlier, .load-gap"),
        top: box.scrollTop,
        height: box.scrollHeight,
        follow: following(),
      };
    });
    box.addEventListener("htmx:afterSwap", () => {
      if (!pending) return;
      if (pending.earlier) scrollTo(pending.top + (box.scrollHeight - pending.height));
      else if (pending.follow) {
        trim();
        scrollTo(box.scrollHeight);
      }
      pending = null;
    });
    if (stickBox) {
      // The box tells whether it follows: scrolling up to read stops it, scrolling to the end
      // (or ticking the box) starts it again.
      box.addEventListener("scroll", () => {
        if (performance.now() >= quietUntil) stickBox.checked = atEnd(box);
      });
      stickBox.addEventListener("change", () => {
        if (stickBox.checked) scrollTo(box.scrollHeight);
      });
    }
  }
})();
