/* Aula offline: registers the service worker (templates/offline/sw.js), tells it which
   learner this phone shows, and runs "Guardar para estudiar sin conexión" and the list of
   saved courses on the offline page. Loaded (defer) by every page; plain ES5-ish, no
   dependencies, no inline script (CSP). Every text it shows comes from the page
   (data-msg-* attributes translated by Django).

   Storage: one Cache Storage cache per learner and course, "aula-u<pk>-c<course>", with
   the course's pages (as this learner sees them), the files they use (CSS, scripts, the
   smallest size of each picture) and "/__aula/package": the package the server gave
   (revisions) plus when it was saved and the bytes it took. A shared phone keeps each
   learner's copies apart, and the worker serves only the learner who signed in last.

   Following the published revision: every page load with a connection asks the server
   for the package of each course this learner saved; pages whose revision changed, and
   new pages, are saved again, removed pages are dropped. The worker also refreshes a
   saved page whenever it is opened with a connection. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.caches || !window.fetch || !window.Promise) {
    // This browser cannot keep pages: nothing to offer.
    var boxes = document.querySelectorAll("[data-offline-save]");
    for (var i = 0; i < boxes.length; i++) boxes[i].hidden = true;
    return;
  }
  var meta = document.querySelector('meta[name="aula-learner"]');
  var learner = meta ? meta.getAttribute("content") || "" : "";
  var swUrl = (document.querySelector('meta[name="aula-sw"]') || {}).content;
  var PACKAGE_KEY = "/__aula/package";

  function tellWorker(worker) {
    if (worker && meta) worker.postMessage({type: "learner", learner: learner});
  }
  if (swUrl) {
    navigator.serviceWorker.register(swUrl, {scope: "/"}).then(function (reg) {
      tellWorker(reg.active || reg.waiting || reg.installing);
      return navigator.serviceWorker.ready;
    }).then(function (reg) { tellWorker(reg.active); }).catch(function () {});
  }

  function cacheName(course) { return "aula-" + learner + "-c" + course; }
  function mb(bytes) {
    var value = bytes / (1024 * 1024);
    return (value < 0.1 ? 0.1 : value).toFixed(1);
  }
  function fill(text, values) {
    return String(text || "").replace(/__([A-Z]+)__/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }
  function isQuota(error) {
    return error && (error.name === "QuotaExceededError" || error.code === 22);
  }

  // The files a saved page needs offline: its styles and scripts, and the smallest size
  // of each picture (the worker answers the other sizes with it).
  function filesOf(html, base) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var urls = [];
    function add(url) {
      if (!url) return;
      try {
        var absolute = new URL(url, base);
        if (absolute.protocol === "http:" || absolute.protocol === "https:") {
          urls.push(absolute.href);
        }
      } catch (e) { /* not an address */ }
    }
    function smallest(srcset) {
      var best = null, width = Infinity;
      srcset.split(",").forEach(function (candidate) {
        var parts = candidate.trim().split(/\s+/);
        var w = parseInt((parts[1] || "").replace("w", ""), 10) || 0;
        if (parts[0] && (best === null || w < width)) { best = parts[0]; width = w; }
      });
      return best;
    }
    doc.querySelectorAll('link[rel="stylesheet"][href]').forEach(function (el) { add(el.getAttribute("href")); });
    doc.querySelectorAll("script[src]").forEach(function (el) { add(el.getAttribute("src")); });
    doc.querySelectorAll("picture").forEach(function (pic) {
      var source = pic.querySelector("source[srcset]");
      if (source) add(smallest(source.getAttribute("srcset")));
      else {
        var img = pic.querySelector("img");
        if (img) add(img.getAttribute("srcset") ? smallest(img.getAttribute("srcset")) : img.getAttribute("src"));
      }
    });
    doc.querySelectorAll("img").forEach(function (img) {
      if (img.closest("picture")) return;
      add(img.getAttribute("srcset") ? smallest(img.getAttribute("srcset")) : img.getAttribute("src"));
    });
    doc.querySelectorAll("video[poster]").forEach(function (el) { add(el.getAttribute("poster")); });
    // Recordings as the lesson offers them (their light versions) and their captions.
    doc.querySelectorAll("video source[src], audio[src], audio source[src], track[src]")
      .forEach(function (el) { add(el.getAttribute("src")); });
    return urls;
  }

  function fetchFile(url) {
    var sameOrigin = new URL(url).origin === location.origin;
    return fetch(url, sameOrigin ? {credentials: "same-origin"} : {mode: "no-cors"});
  }

  // Save ``pages`` (from a package) into ``cache``; calls progress(done, total); resolves
  // with the bytes saved (opaque pictures from another host count 0).
  function savePages(cache, pages, progress) {
    var done = 0, bytes = 0, files = {};
    function one(page) {
      return fetch(page.url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok || response.redirected) throw new Error("page " + response.status);
        return response.text().then(function (html) {
          bytes += html.length;
          var headers = new Headers({"Content-Type": "text/html; charset=utf-8"});
          return cache.put(page.url, new Response(html, {headers: headers})).then(function () {
            filesOf(html, response.url).forEach(function (url) { files[url] = true; });
            done += 1;
            if (progress) progress(done, pages.length);
          });
        });
      });
    }
    var chain = Promise.resolve();
    pages.forEach(function (page) { chain = chain.then(function () { return one(page); }); });
    return chain.then(function () {
      var list = Object.keys(files);
      var fileChain = Promise.resolve();
      list.forEach(function (url) {
        fileChain = fileChain.then(function () {
          return cache.match(url).then(function (have) {
            if (have) return;
            return fetchFile(url).then(function (response) {
              if (response.type !== "opaque" && !response.ok) return;
              return response.clone().blob().then(function (blob) {
                bytes += blob.size;
                return cache.put(url, response);
              });
            }).catch(function (error) { if (isQuota(error)) throw error; });
          });
        });
      });
      return fileChain;
    }).then(function () { return bytes; });
  }

  function readPackage(cache) {
    return cache.match(PACKAGE_KEY).then(function (response) {
      return response ? response.json() : null;
    });
  }
  function writePackage(cache, pkg) {
    return cache.put(PACKAGE_KEY, new Response(JSON.stringify(pkg), {
      headers: {"Content-Type": "application/json"}
    }));
  }
  function getPackage(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("package " + response.status);
        return response.json();
      });
  }

  // Bring a saved course up to the published revisions. Resolves with the number of
  // pages saved again (0: nothing changed), or null when the course is gone (removed).
  function refresh(course, packageUrl) {
    var name = cacheName(course);
    return caches.open(name).then(function (cache) {
      return readPackage(cache).then(function (saved) {
        if (!saved) return 0;
        return getPackage(packageUrl || saved.package).then(function (fresh) {
          if (fresh === null) {
            return caches.delete(name).then(function () { return null; });
          }
          var before = {};
          saved.pages.forEach(function (page) { before[page.url] = page.revision; });
          var changed = fresh.pages.filter(function (page) {
            return !(page.url in before) || before[page.url] !== page.revision;
          });
          var keep = {};
          fresh.pages.forEach(function (page) { keep[page.url] = true; });
          var gone = saved.pages.filter(function (page) { return !keep[page.url]; });
          if (!changed.length && !gone.length) return 0;
          return Promise.all(gone.map(function (page) { return cache.delete(page.url); }))
            .then(function () { return savePages(cache, changed); })
            .then(function (bytes) {
              fresh.package = saved.package;
              fresh.saved_at = saved.saved_at;
              fresh.saved_bytes = (saved.saved_bytes || 0) + bytes;
              return writePackage(cache, fresh);
            }).then(function () { return changed.length; });
        });
      });
    });
  }

  function savedCourses() {
    if (!learner) return Promise.resolve([]);
    var prefix = "aula-" + learner + "-c";
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(prefix) === 0;
      }).map(function (name) {
        return caches.open(name).then(readPackage).then(function (pkg) {
          return pkg ? {name: name, pkg: pkg} : null;
        });
      }));
    }).then(function (list) { return list.filter(Boolean); });
  }

  // --- "Guardar para estudiar sin conexión" -------------------------------------------
  function setUpSave(box) {
    var cfg = box.dataset;
    var course = cfg.course;
    var status = box.querySelector("[data-status]");
    var save = box.querySelector("[data-save]");
    var remove = box.querySelector("[data-remove]");
    var busy = false;
    function say(text) { status.textContent = text || ""; }
    function showSaved(pkg) {
      save.hidden = true;
      remove.hidden = false;
      say(fill(cfg.msgSaved, {PAGES: pkg.pages.length, MB: mb(pkg.saved_bytes || pkg.bytes)}));
    }
    function showUnsaved(pkg) {
      remove.hidden = true;
      save.hidden = false;
      save.textContent = cfg.msgSave;
      if (pkg) say(fill(cfg.msgSize, {MB: mb(pkg.bytes)}));
    }
    caches.open(cacheName(course)).then(readPackage).then(function (saved) {
      if (saved) {
        showSaved(saved);
        if (navigator.onLine) {
          return refresh(course, cfg.package).then(function (changed) {
            if (changed === null) { showUnsaved(null); say(cfg.msgGone); return; }
            return caches.open(cacheName(course)).then(readPackage).then(function (pkg) {
              if (pkg) showSaved(pkg);
              if (changed) say(status.textContent + " " + fill(cfg.msgUpdated, {N: changed}));
            });
          }).catch(function () { /* keep what is saved; try at the next connection */ });
        }
        return;
      }
      showUnsaved(null);
      return getPackage(cfg.package).then(function (pkg) {
        if (pkg) showUnsaved(pkg);
      }).catch(function () { say(cfg.msgNeedsConnection); });
    });
    save.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      save.disabled = true;
      var name = cacheName(course);
      getPackage(cfg.package).then(function (pkg) {
        if (!pkg) throw new Error("gone");
        return caches.open(name).then(function (cache) {
          return savePages(cache, pkg.pages, function (done, total) {
            say(fill(cfg.msgSaving, {DONE: done, TOTAL: total}));
          }).then(function (bytes) {
            pkg.package = cfg.package;
            pkg.saved_at = new Date().toISOString();
            pkg.saved_bytes = bytes;
            return writePackage(cache, pkg).then(function () { showSaved(pkg); });
          });
        });
      }).catch(function (error) {
        // Half a course is no use offline and takes space: nothing stays.
        return caches.delete(name).then(function () {
          showUnsaved(null);
          say(isQuota(error) ? cfg.msgQuota : cfg.msgFailed);
        });
      }).then(function () { busy = false; save.disabled = false; });
    });
    remove.addEventListener("click", function () {
      caches.delete(cacheName(course)).then(function () {
        showUnsaved(null);
        say(cfg.msgRemoved);
      });
    });
  }

  // --- The offline page: what is saved on this phone ----------------------------------
  function listSaved(box) {
    var cfg = box.dataset;
    var list = box.querySelector("[data-saved-list]");
    var empty = box.querySelector("[data-saved-empty]");
    savedCourses().then(function (courses) {
      if (!courses.length) { empty.hidden = false; return; }
      courses.forEach(function (entry) {
        var item = document.createElement("li");
        var heading = document.createElement("h2");
        var link = document.createElement("a");
        link.href = entry.pkg.url;
        link.textContent = entry.pkg.title;
        heading.appendChild(link);
        item.appendChild(heading);
        var meta = document.createElement("p");
        meta.className = "meta";
        meta.textContent = fill(cfg.msgSavedMeta, {PAGES: entry.pkg.pages.length, MB: mb(entry.pkg.saved_bytes || entry.pkg.bytes)});
        item.appendChild(meta);
        var pages = document.createElement("ul");
        entry.pkg.pages.forEach(function (page) {
          if (page.kind === "course") return;
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = page.url;
          a.textContent = page.title;
          li.appendChild(a);
          pages.appendChild(li);
        });
        item.appendChild(pages);
        list.appendChild(item);
      });
      list.hidden = false;
    });
  }

  // Every saved course of this learner, brought up to date at most every few minutes
  // while there is a connection (the course page and "Mis cursos" do theirs themselves).
  var REFRESH_EVERY = 5 * 60 * 1000;
  function refreshAll(except) {
    if (!learner || !navigator.onLine) return;
    var key = "aula-sin-conexion:" + learner;
    try {
      var last = parseInt(localStorage.getItem(key) || "0", 10);
      if (Date.now() - last < REFRESH_EVERY) return;
      localStorage.setItem(key, String(Date.now()));
    } catch (e) { /* no storage: refresh anyway */ }
    savedCourses().then(function (courses) {
      var chain = Promise.resolve();
      courses.forEach(function (entry) {
        var course = String(entry.pkg.course);
        if (except[course]) return;
        chain = chain.then(function () {
          return refresh(course, null).catch(function () {});
        });
      });
    });
  }

  function start() {
    if (!meta) {
      // The offline page is the same for everybody: whose copies to list is what the
      // pages last told the worker.
      caches.open("aula-state").then(function (cache) {
        return cache.match("/__aula/learner");
      }).then(function (response) {
        return response ? response.text() : "";
      }).then(function (who) {
        learner = /^u\d+$/.test(who) ? who : "";
        var saved = document.querySelector("[data-offline-saved]");
        if (saved) listSaved(saved);
      });
      return;
    }
    var here = {};
    document.querySelectorAll("[data-offline-save]").forEach(function (box) {
      if (!learner) return;
      here[box.dataset.course] = true;
      setUpSave(box);
    });
    refreshAll(here);
    window.addEventListener("online", function () { refreshAll(here); });
  }
  start();
})();
