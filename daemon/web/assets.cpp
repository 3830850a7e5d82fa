#include "daemon/web/assets.hpp"

namespace juanie::daemon::web {

// Every HTML it inserts comes from the daemon, which escaped the logs' text (ansi_html);
// the page's CSP refuses any inline script even if something slipped through.
const std::string_view kJuanieJs = R"JS('use strict';
(() => {
  const REFRESH_MS = 2000;

  function refreshList(list) {
    let last = list.innerHTML;
    const tick = async () => {
      try {
        const r = await fetch(list.dataset.refresh, { credentials: 'same-origin', cache: 'no-store' });
        if (r.status === 401) return; // signed out: the next reload shows the sign-in form
        if (r.ok) {
          const html = await r.text();
          if (html !== last) {
            list.innerHTML = html;
            last = html;
          }
        }
      } catch (e) {
        // the daemon restarts or the network blinks: try again at the next tick
      }
      setTimeout(tick, REFRESH_MS);
    };
    setTimeout(tick, REFRESH_MS);
  }

  function setState(element, state) {
    if (!element) return;
    element.textContent = state;
    element.className = element.className.replace(/\bstate-\S+/g, '').trim() + ' state-' + state;
  }

  function stepSection(index, name) {
    let section = document.getElementById('step-' + index);
    if (section) return section;
    const none = document.getElementById('no-steps');
    if (none) none.remove();
    section = document.createElement('section');
    section.className = 'step';
    section.id = 'step-' + index;
    section.setAttribute('aria-labelledby', 'step-' + index + '-name');
    const heading = document.createElement('h3');
    heading.id = 'step-' + index + '-name';
    heading.textContent = (name || 'step ' + index) + ' ';
    const state = document.createElement('span');
    state.className = 'step-state';
    heading.append(state);
    const log = document.createElement('pre');
    log.className = 'log';
    log.id = 'log-' + index;
    log.tabIndex = 0;
    log.setAttribute('aria-label', 'log of ' + (name || 'step ' + index));
    section.append(heading, log);
    document.getElementById('steps').append(section);
    return section;
  }

  function follow(main) {
    const source = new EventSource(main.dataset.events);
    let seen = new Set();
    source.addEventListener('open', () => {
      seen = new Set(); // the stream starts from the first byte again: redraw each step
    });
    source.addEventListener('step', (e) => {
      const step = JSON.parse(e.data);
      const section = stepSection(step.index, step.name);
      if (!seen.has(step.index)) {
        seen.add(step.index);
        section.querySelector('pre').textContent = '';
      }
      setState(section.querySelector('.step-state'), step.state);
      setState(document.getElementById('run-state'), 'running');
    });
    source.addEventListener('log', (e) => {
      const cut = e.data.indexOf('\n');
      const index = Number(e.data.slice(0, cut));
      const log = stepSection(index).querySelector('pre');
      const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
      log.insertAdjacentHTML('beforeend', e.data.slice(cut + 1));
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener('end', (e) => {
      source.close();
      setState(document.getElementById('run-state'), JSON.parse(e.data).state);
      // The finished page has the actions a finished run takes (retry) and its whole log.
      setTimeout(() => location.reload(), 500);
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects
      const note = document.getElementById('live-note');
      if (note) note.textContent = 'The live log stopped; reload the page to see the rest.';
    });
  }

  const list = document.getElementById('runs');
  if (list && list.dataset.refresh) refreshList(list);
  const run = document.querySelector('main[data-events]');
  if (run) follow(run);
})();
)JS";

}  // namespace juanie::daemon::web
