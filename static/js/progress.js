/* Aula: record study on a lesson page, offline first. Events wait in localStorage and are
   sent when there is a connection; each has its own UUID, so sending twice is harmless.
   Study time is counted only while the page is visible and the learner did something in
   the last two minutes, so a tab left open all night does not count. */
(function () {
  "use strict";
  var el = document.querySelector("[data-progress]");
  if (!el || !window.fetch || !window.crypto || !crypto.getRandomValues) return;
  var KEY = "aula-eventos", IDLE = 120000, MAX_QUEUE = 500;
  var api = el.dataset.api, csrf = el.dataset.csrf, page = Number(el.dataset.page);
  var every = (Number(el.dataset.every) || 30) * 1000;
  var last = Date.now(), active = Date.now(), sending = false;

  function uuid4() {  // crypto.randomUUID exists only on https pages
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(queue) {
    try { localStorage.setItem(KEY, JSON.stringify(queue.slice(-MAX_QUEUE))); } catch (e) {}
  }
  function flush() {
    var queue = load();
    if (sending || !queue.length || navigator.onLine === false) return;
    sending = true;
    var batch = queue.slice(0, 100);
    fetch(api, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({events: batch})
    }).then(function (response) {
      // 200: every item was answered (accepted, duplicate or rejected): done with them.
      // 400/413: this batch can never succeed. Anything else: keep it and retry later.
      if (response.ok || response.status === 400 || response.status === 413) {
        var sent = {};
        batch.forEach(function (e) { sent[e.id] = true; });
        save(load().filter(function (e) { return !sent[e.id]; }));
        sending = false;
        if (load().length) flush();
      } else {
        sending = false;
      }
    }).catch(function () { sending = false; });
  }
  function record(verb, result) {
    var queue = load();
    queue.push({id: uuid4(), verb: verb, object: {id: page},
                timestamp: new Date().toISOString(), result: result || {}});
    save(queue);
    flush();
  }
  ["pointerdown", "keydown", "scroll", "touchstart"].forEach(function (type) {
    addEventListener(type, function () { active = Date.now(); }, {passive: true});
  });
  setInterval(function () {
    var now = Date.now();
    if (document.visibilityState === "visible" && now - active < IDLE) {
      record("progressed", {duration: Math.min(Math.round((now - last) / 1000), 60)});
    }
    last = now;
  }, every);
  addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  record("started");
})();
