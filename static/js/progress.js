/* Aula's offline client: what a learner does on this phone waits here until it is sent
   with that learner's session. Loaded (defer) by templates/progress/offline_client.html on
   lesson pages, assessment pages, "Mis cursos" and "Mi cuenta". Plain ES5-ish, no
   dependencies, no inline script (the site's CSP forbids it). Every text it shows comes
   from the page (data-msg-* attributes that Django translates); none is written here.

   - One queue per learner in localStorage, "aula-eventos:u<pk>", <pk> being the user the
     page was rendered for (data-learner). A page sends only that queue and every batch
     names its learner; if the session now belongs to someone else (A's tab still open after
     B signed in) the server answers 409 and this page stops sending. The queue waits on the
     phone until its learner signs in again and opens any page that loads this script.
   - Items: learning events ("started", "progressed" heartbeats, "completed" for "Marcar
     como terminada" pressed offline) and forms (a practice quiz submitted offline), each
     with its own UUID, so sending one twice is harmless.
   - Sending: POST {"sent_at", "learner", "events"} in batches of at most 100, oldest first.
     Per item: accepted, duplicate or rejected are done; "retry" stays and is skipped for
     the rest of this page's life, so it never blocks newer items. 400/413/415: that batch
     can never succeed and is dropped. 409: stop. 401/403/429/5xx/no network: keep it all
     and try again later, waiting 15 s, 30 s, 1 min... up to 10 min (or what Retry-After
     says), with some jitter; coming back online tries at once. Forms are posted only right
     after the server has answered a batch of this learner with 200 (an empty batch if
     need be), so they never go out under someone else's session.
   - Time on task: see studyTime() below. */
(function () {
  "use strict";
  var root = document.querySelector("[data-offline-client]");
  if (!root || window.aulaOfflineClient || !window.fetch || !window.Promise || !window.JSON) {
    return;
  }
  window.aulaOfflineClient = true;
  var storage;
  try {
    storage = window.localStorage;
    storage.getItem("aula-eventos");
  } catch (e) {
    return;  // no storage (disabled or private mode): the forms work as plain forms
  }
  var cfg = root.dataset;
  var learner = cfg.learner || "";
  if (!/^u\d+$/.test(learner)) return;

  var KEY = "aula-eventos:" + learner;
  var BATCH = 100;             // events per request
  var MAX_ITEMS = 2000;        // about 16 hours of offline study; heartbeats go first
  var BACKOFF_FIRST = 15000, BACKOFF_MAX = 600000;
  var HOLD = 30000;            // see "Marcar como terminada" online
  var LOGOUT_WAIT = 10000;     // how long log-out waits for the queue to be sent
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  var DONE = {accepted: true, duplicate: true, rejected: true};

  // The queue before this one ("aula-eventos") was shared by everyone who used the phone,
  // and its items cannot be attributed to anyone. Sending them under the current session
  // could credit learner A's study to learner B: never crediting the wrong learner beats
  // never losing. That script queued only "started" and "progressed" (completions and
  // quiz answers were plain form posts), so what is dropped here is at most some minutes
  // of study time, never a completion or an answer; and since nothing could ever send
  // them, keeping them would only take space on a shared phone forever.
  try { storage.removeItem("aula-eventos"); } catch (e) { /* nothing to do */ }

  // --- The queue ----------------------------------------------------------------------
  function uuid4() {  // crypto.randomUUID exists only on https pages
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16), h = [], i;
    if (window.crypto && crypto.getRandomValues) {
      crypto.getRandomValues(b);
    } else {
      for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    }
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  function load() {
    try {
      var queue = JSON.parse(storage.getItem(KEY) || "[]");
      if (!(queue instanceof Array)) return [];
      return queue.filter(function (item) { return item && typeof item.id === "string"; });
    } catch (e) {
      return [];
    }
  }
  function minor(item) { return item.verb === "progressed" || item.verb === "started"; }
  function trim(queue, limit) {  // drop the oldest heartbeats first, never a completion or form
    var extra = queue.length - limit;
    if (extra <= 0) return queue;
    return queue.filter(function (item) { return !(minor(item) && extra-- > 0); });
  }
  function save(queue) {
    queue = trim(queue, MAX_ITEMS);
    try {
      if (queue.length) storage.setItem(KEY, JSON.stringify(queue));
      else storage.removeItem(KEY);  // leave no trace of this learner on a shared phone
    } catch (e) {  // storage full: make room with half of the heartbeats, once
      try { storage.setItem(KEY, JSON.stringify(trim(queue, Math.floor(queue.length / 2)))); }
      catch (e2) { /* nothing more to do */ }
    }
  }
  function add(item) {
    save(load().filter(function (other) { return other.id !== item.id; }).concat([item]));
  }
  function remove(ids) {
    save(load().filter(function (item) { return !ids[item.id]; }));
  }
  function isForm(item) { return item.kind === "form"; }
  function event(verb, page, timestamp, result, id) {
    return {id: id || uuid4(), verb: verb, object: {id: page}, timestamp: timestamp,
            result: result || {}};
  }

  // --- Saying it, in the page's words ----------------------------------------------------
  var statusEl = root.querySelector("[data-queue-status]");
  var shown = "", clearTimer = null, failing = false, sentToAnnounce = load().length > 0;
  function say(what, text, link) {
    shown = what;
    clearTimeout(clearTimer);
    if (!statusEl) return;
    while (statusEl.firstChild) statusEl.removeChild(statusEl.firstChild);
    if (text) statusEl.appendChild(document.createTextNode(text));
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = cfg.msgSeeResult || "";
      statusEl.appendChild(document.createTextNode(" "));
      statusEl.appendChild(a);
    }
  }
  function waiting(queue) {  // what still has to go, except a form post's twin (HOLD)
    var now = Date.now();
    return queue.filter(function (item) { return !(item.hold > now); }).length;
  }
  // "N avances por enviar": what the learner did (lessons marked as done, quizzes
  // answered); study time alone is said in other words.
  function pendingText(queue) {
    var now = Date.now(), done = 0, time = 0;
    queue.forEach(function (item) {
      if (item.hold > now) return;
      if (item.kind === "form" || item.verb === "completed") done += 1;
      else time += 1;
    });
    if (done === 1) return cfg.msgPendingOne;
    if (done > 1) return String(cfg.msgPendingMany || "").replace("__N__", done);
    return time ? cfg.msgPendingTime : "";
  }
  var shownText = "";
  function refresh() {
    var queue = load();
    var left = waiting(queue);
    if (left && (failing || stopped || navigator.onLine === false)) {
      var text = pendingText(queue);
      // A quiz graded on the phone keeps its result on screen: it says the answers go
      // when the connection is back.
      if (shown !== "graded" && (shown !== "pending" || shownText !== text)) {
        say("pending", text);
        shownText = text;
      }
      sentToAnnounce = true;
    } else if (!left && sentToAnnounce && (shown === "pending" || shown === "")) {
      sentToAnnounce = false;
      say("sent", cfg.msgSent);
      clearTimer = setTimeout(function () { say("", ""); }, 6000);
    }
  }

  // --- Sending -------------------------------------------------------------------------
  var inflight = null, stopped = false, failures = 0, retryAt = 0, retryTimer = null;
  var retryAfter = null, holdTimer = null, skip = {};  // skip: ids the server answered "retry" in this page
  var csrf = cfg.csrf || "";

  function eligible(queue, force) {
    var now = Date.now();
    return queue.filter(function (item) {
      return !isForm(item) && !skip[item.id] && (force || !(item.hold > now));
    }).slice(0, BATCH);
  }
  function postEvents(batch, keepalive) {
    var body = JSON.stringify({
      sent_at: new Date().toISOString(),
      learner: learner,
      events: batch.map(function (item) {
        return {id: item.id, verb: item.verb, object: item.object, timestamp: item.timestamp,
                result: item.result};
      })
    });
    return fetch(cfg.api, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive && body.length < 60000,
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf},
      body: body
    }).then(function (response) {
      var status = response.status;
      if (status === 200) {
        return response.json().then(function (answer) {
          var done = {};
          ((answer && answer.results) || []).forEach(function (result) {
            if (result && typeof result.id === "string" && DONE[result.status]) {
              done[result.id] = true;
            }
          });
          // "retry" (the server did not store it) or no answer at all: keep it, and do not
          // send it again from this page, so it never blocks what comes after it.
          batch.forEach(function (item) { if (!done[item.id]) skip[item.id] = true; });
          remove(done);
          return "ok";
        }, function () { return "failed"; });
      }
      if ((status === 400 || status === 413 || status === 415) && batch.length) {
        return response.json().then(null, function () { return {}; }).then(function (why) {
          // The phone's clock is wrong (sent_at refused): each try sends a new sent_at, so
          // this batch may go through once the clock is right. Keep it.
          if (why && why.code === "invalid_sent_at") return "failed";
          var ids = {};  // this body can never succeed: drop only this batch
          batch.forEach(function (item) { ids[item.id] = true; });
          remove(ids);
          return "dropped";
        });
      }
      if (status === 409) {  // the session is someone else's: keep everything, stop here
        stopped = true;
        return "stopped";
      }
      retryAfter = response.headers.get("Retry-After");
      return "failed";
    }, function () { return "failed"; });
  }
  function postForm(item) {
    var link = document.createElement("a");
    link.href = item.url;
    var own = link.protocol === location.protocol && link.host === location.host;
    var body = (item.fields || []).filter(function (pair) {
      return pair && pair[0] !== "csrfmiddlewaretoken";
    }).map(function (pair) {
      return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(pair[1]);
    }).join("&").replace(/%20/g, "+");
    if (!own) {
      var ids = {};
      ids[item.id] = true;
      remove(ids);
      return Promise.resolve("ok");
    }
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf},
      body: body
    }).then(function (response) {
      var status = response.status, ids = {};
      ids[item.id] = true;
      // The view answers with a redirect (to the attempt, or back to the quiz with a
      // message): the server has it. With redirect "manual" that is an opaque redirect.
      if (response.type === "opaqueredirect" || (status >= 200 && status < 400)) {
        remove(ids);
        say("answers", cfg.msgAnswersSent, item.page || cfg.myCourses);
        return "ok";
      }
      if (status === 400 || status === 404 || status === 410 || status === 413) {
        remove(ids);  // the quiz is gone or the body is wrong: it can never succeed
        return "ok";
      }
      retryAfter = response.headers.get("Retry-After");
      return "failed";
    }, function () { return "failed"; });
  }
  function run(force, keepalive, confirmed) {
    var queue = load(), batch = eligible(queue, force);
    var forms = queue.filter(function (item) { return isForm(item) && !skip[item.id]; });
    if (!batch.length && !forms.length) return Promise.resolve("done");
    if (!batch.length && confirmed) {
      return postForm(forms[0]).then(function (outcome) {
        if (outcome !== "ok") return outcome;
        return run(force, keepalive, true);
      });
    }
    // Events, or an empty batch whose 200 says this session is still this learner's.
    return postEvents(batch, keepalive).then(function (outcome) {
      if (outcome === "ok") return run(force, keepalive, true);
      if (outcome === "dropped") return run(force, keepalive, confirmed);
      return outcome;
    });
  }
  function backoff() {
    failures += 1;
    var delay = Math.min(BACKOFF_MAX, BACKOFF_FIRST * Math.pow(2, failures - 1));
    var asked = Number(retryAfter) * 1000;  // a 429's Retry-After, in seconds
    if (asked > delay) delay = Math.min(asked, 3600000);
    delay = Math.round(delay * (0.8 + Math.random() * 0.4));
    retryAt = Date.now() + delay;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { flush(); }, delay);
  }
  // Send what waits. force: now, even during a back-off or for a form post's twin (log-out).
  function flush(force, keepalive) {
    if (inflight) return inflight;
    if (stopped || navigator.onLine === false || (!force && Date.now() < retryAt)) {
      failing = failing || navigator.onLine === false;
      refresh();
      return Promise.resolve();
    }
    retryAfter = null;
    inflight = run(force, keepalive, false).then(function (outcome) {
      if (outcome === "failed") {
        backoff();
      } else if (outcome !== "stopped") {
        failures = 0;
        retryAt = 0;
      }
      return outcome;
    }, function () {
      backoff();
    }).then(function () {
      inflight = null;
      var queue = load(), now = Date.now(), soonest = Infinity;
      failing = waiting(queue) > 0;
      refresh();
      queue.forEach(function (item) {
        if (item.hold > now && item.hold < soonest) soonest = item.hold;
      });
      clearTimeout(holdTimer);
      if (soonest < Infinity) holdTimer = setTimeout(function () { flush(); }, soonest - now + 50);
    });
    return inflight;
  }
  addEventListener("online", function () {
    failures = 0;
    retryAt = 0;
    flush();
  });
  addEventListener("offline", function () { failing = true; refresh(); });

  // --- Time on task ----------------------------------------------------------------------
  // The server counts a lesson's time as the union of the heartbeat intervals
  // [timestamp - duration, timestamp], each at most 60 s (lms/progress/derived.py). So each
  // heartbeat here covers exactly the stretch since the previous one that the learner was
  // studying, measured with the monotonic clock: never negative, cut in pieces of at most
  // 60 s. "Studying" is: the page is visible and the learner touched, scrolled, typed or
  // moved the pointer less than GRACE ago. The grace is what reading one screen takes: a
  // tab left open all night counts its active minutes plus at most one minute.
  // Heartbeats go every data-every seconds (30), and one more, partial, when the page is
  // hidden or left, so the tail is not lost.
  function studyTime(panel) {
    var GRACE = 60000, MAX_BEAT = 60000, MIN_BEAT = 1000;
    var page = Number(panel.dataset.page);
    var every = (Number(panel.dataset.every) || 30) * 1000;
    var clock = window.performance && performance.now ?
      function () { return performance.now(); } : function () { return Date.now(); };
    var from = clock(), active = from;  // from: start of the stretch not yet recorded

    function beat() {
      var now = clock(), end = Math.min(now, active + GRACE), wall = Date.now();
      var items = [];
      for (var start = from; end - start >= MIN_BEAT; start += MAX_BEAT) {
        var stop = Math.min(start + MAX_BEAT, end);
        items.push(event("progressed", page, new Date(wall - (now - stop)).toISOString(),
                         {duration: Math.round(stop - start) / 1000}));
      }
      from = now;
      if (items.length) save(load().concat(items));
    }
    function activity() {
      var now = clock();
      if (now - active > GRACE) beat();  // close the stretch before the pause
      active = now;
    }
    ["pointerdown", "pointermove", "keydown", "scroll", "touchstart", "wheel"].forEach(
      function (type) { addEventListener(type, activity, {passive: true}); });
    setInterval(function () {
      if (document.visibilityState === "hidden") {
        from = clock();
        return;
      }
      beat();
      flush();
    }, every);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        beat();
        flush(false, true);
      } else {
        from = active = clock();
      }
    });
    addEventListener("pagehide", function () {
      beat();
      flush(false, true);
    });
    addEventListener("pageshow", function (e) {
      if (e.persisted) {
        from = active = clock();
        flush();
      }
    });

    // "Marcar como terminada". Online, the form posts as it always has (it works without
    // JavaScript). It carries a server-made event_id that the server treats as the
    // completion's UUID, so the same event also waits in the queue, held for HOLD: if the
    // post is lost on a bad connection, the queue still sends it; if it arrived, the
    // server answers "duplicate". Offline, only the queue: the lesson shows as done here.
    var form = panel.querySelector("form");
    var pending = panel.querySelector("[data-done-pending]");
    function showDone() {
      if (!pending) return;
      form.hidden = true;
      pending.hidden = false;
    }
    if (form) {
      if (load().some(function (item) {
        return item.verb === "completed" && item.object && item.object.id === page && !item.hold;
      })) {
        showDone();
      }
      form.addEventListener("submit", function (e) {
        if (e.defaultPrevented) return;
        var field = form.elements.event_id;
        var id = field && UUID.test(field.value) ? field.value.toLowerCase() : "";
        var offline = navigator.onLine === false;
        beat();
        if (!offline && !id) return;  // a page from before event_id: a plain post
        var item = event("completed", page, new Date().toISOString(), {}, id || uuid4());
        if (!offline) {
          item.hold = Date.now() + HOLD;
          add(item);
          return;
        }
        e.preventDefault();
        add(item);
        showDone();
        failing = true;
        refresh();
      });
    }
    add(event("started", page, new Date().toISOString()));
  }

  // --- Practice quizzes offline ----------------------------------------------------------
  // Offline, a practice quiz's form is kept as it would have been posted, under its
  // attempt_id (the server treats a repeated attempt_id as the same attempt), and posted
  // when there is a connection. Other assessments need the connection: they say so, and
  // the answers stay on the page.
  function fields(form) {
    var pairs = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i], type = (el.type || "").toLowerCase();
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") continue;
      if (/^(submit|button|reset|image|file)$/.test(type)) continue;
      if ((type === "checkbox" || type === "radio") && !el.checked) continue;
      if (type === "select-multiple") {
        for (var j = 0; j < el.options.length; j++) {
          if (el.options[j].selected) pairs.push([el.name, el.options[j].value]);
        }
        continue;
      }
      pairs.push([el.name, el.value]);
    }
    return pairs;
  }
  function quizzes(form) {
    form.addEventListener("submit", function (e) {
      if (e.defaultPrevented || navigator.onLine !== false) return;
      e.preventDefault();
      if (form.getAttribute("data-offline-kind") !== "practice") {
        say("exam", cfg.msgExamOffline);
        return;
      }
      var field = form.elements.attempt_id;
      var pairs = fields(form);
      add({kind: "form", id: field && UUID.test(field.value) ? field.value : uuid4(),
           url: form.action, page: location.pathname, fields: pairs,
           timestamp: new Date().toISOString()});
      failing = true;
      say("", "");
      refresh();
      gradeOnPhone(form, pairs);
    });
  }

  // --- A practice quiz graded on the phone (provisional; the server grades again) --------
  // Each question of a practice quiz carries its key (data-key, from the question type's
  // phone_key); a final never does.
  function normalized(text) {
    return String(text || "").normalize("NFC").replace(/ñ/g, "\u0000").replace(/Ñ/g, "\u0001")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/\u0000|\u0001/g, "ñ").replace(/\s+/g, " ").trim().toLowerCase();
  }
  // A number as a learner types it: "3/8", "1 y 3/4", "$1,250.50", "12,5", "45 %". The
  // server's reader (content/numbers.py) is stricter; what this one cannot read counts
  // as wrong here and is settled by the server.
  function readNumber(text) {
    var t = String(text || "").replace(/[\u00a0\u2009]/g, " ").replace(/[\u2212\u2013]/g, "-").trim();
    t = t.replace(/^([+-]?)\s*(US\$|MX\$|\$|€)?\s*/, "$1").replace(/\s*[a-zA-Z%$€°º].*$/, "");
    var m = t.match(/^([+-]?)(\d+)\s+(?:y\s+)?(\d+)\s*\/\s*(\d+)$/);
    if (m) return (m[1] === "-" ? -1 : 1) * (+m[2] + m[3] / m[4]);
    m = t.match(/^([+-]?\d+)\s*\/\s*(\d+)$/);
    if (m) return +m[2] ? m[1] / m[2] : NaN;
    m = t.match(/^[+-]?[\d.,]+$/);
    if (!m) return NaN;
    var last = Math.max(t.lastIndexOf(","), t.lastIndexOf("."));
    if (last < 0) return +t;
    var marks = t.replace(/[^.,]/g, "");
    var single = marks.length === 1;
    var after = t.length - last - 1;
    var decimal = !(single && after === 3 && !/^[+-]?0[.,]/.test(t)) || /[.,].*[.,]/.test(t);
    if (!single && marks.split("").every(function (c) { return c === marks[0]; })) decimal = false;
    var whole = decimal ? t.slice(0, last) : t, frac = decimal ? t.slice(last + 1) : "";
    return +(whole.replace(/[.,]/g, "") + (frac ? "." + frac : ""));
  }
  function isRight(key, given) {
    if (key.match === "set") {
      var right = key.right.slice().sort().join("\n");
      return given.length > 0 && given.slice().sort().join("\n") === right;
    }
    if (!given.length) return false;
    if (key.match === "number") {
      var n = readNumber(given[0]);
      return !isNaN(n) && Math.abs(n - Number(key.answer)) <= Number(key.tolerance) + 1e-9;
    }
    if (key.match === "text") return key.accepted.indexOf(normalized(given[0])) >= 0;
    return false;
  }
  function gradeOnPhone(form, pairs) {
    var questions = form.querySelectorAll("fieldset[data-key]");
    if (!questions.length || !cfg.msgPhoneGrade) return;
    var right = 0;
    for (var i = 0; i < questions.length; i++) {
      var q = questions[i], key;
      try { key = JSON.parse(q.getAttribute("data-key")); } catch (e) { return; }
      var name = q.getAttribute("data-name");
      var given = pairs.filter(function (p) { return p[0] === name && String(p[1]).trim() !== ""; })
        .map(function (p) { return p[1]; });
      var ok = isRight(key, given);
      if (ok) right += 1;
      var mark = q.querySelector("[data-phone-mark]") || document.createElement("p");
      mark.setAttribute("data-phone-mark", "");
      mark.className = "phone-mark " + (ok ? "is-right" : "is-wrong");
      mark.textContent = ok ? cfg.msgRight : cfg.msgWrong;
      if (!mark.parentNode) q.appendChild(mark);
    }
    say("graded", cfg.msgPhoneGrade.replace("__RIGHT__", String(right))
      .replace("__TOTAL__", String(questions.length)));
  }

  // --- Log-out never drops unsent work without saying so --------------------------------
  function pathOf(url) {
    var a = document.createElement("a");
    a.href = url;
    return a.pathname.charAt(0) === "/" ? a.pathname : "/" + a.pathname;
  }
  function warn(form, count) {
    var old = form.querySelector("[data-logout-warning]");
    if (old) old.parentNode.removeChild(old);
    var box = document.createElement("div"), text = document.createElement("p");
    box.className = "queue-warning";
    box.setAttribute("data-logout-warning", "");
    box.setAttribute("role", "alert");
    text.textContent = (count === 1 ? cfg.msgLogoutOne : cfg.msgLogoutMany)
      .replace("__N__", String(count));
    box.appendChild(text);
    [[cfg.msgLogoutGo, "button", function () { form.submit(); }],
     [cfg.msgLogoutStay, "button secondary", function () {
       box.parentNode.removeChild(box);
       say("", "");
     }]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = spec[1];
      button.textContent = spec[0];
      button.addEventListener("click", spec[2]);
      box.appendChild(button);
    });
    form.appendChild(box);
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form || form.tagName !== "FORM" || !cfg.logout ||
        pathOf(form.action) !== cfg.logout || !load().length) {
      return;
    }
    e.preventDefault();
    say("sending", cfg.msgSending);
    var timeout = new Promise(function (resolve) { setTimeout(resolve, LOGOUT_WAIT); });
    var sent = (inflight || Promise.resolve()).then(function () { return flush(true); });
    Promise.race([sent, timeout]).then(function () {
      var left = load().length;
      if (!left) {
        form.submit();  // does not fire "submit" again
        return;
      }
      say("", "");
      warn(form, left);
    });
  });

  // --- Start -------------------------------------------------------------------------------
  var lessonPanel = document.querySelector("[data-progress]");
  if (lessonPanel) studyTime(lessonPanel);
  var quiz = document.querySelector("form[data-offline-kind]");
  if (quiz) quizzes(quiz);
  flush();
})();
