// Browser measurements for the site and slide tests (puppeteer-core driving Debian's Chromium).
//
//   node tests/browser_checks.mjs MODE BASE_URL PATH [PATH ...]   -> JSON on stdout
//
// MODE
//   phone   390 x 844 phone viewport: per page, the formulas wider than the text column
//           (every line box of an in-line formula, the box of a display formula),
//           whether the page itself scrolls sideways, the boxes (code, tables, display
//           formulas) that scroll sideways but are not keyboard stops, how many boxes
//           the page's scripts measured while it loaded, and the elements that reach
//           past the column with every section laid out.
//   axe     axe-core (npm) on every page: violations of impact serious or critical.
//   slides  every slide of a lecture deck at 1280 x 720: how far its content reaches past
//           the slide, its smallest text, notes, code cells and their outputs, code colours,
//           formulas, unresolved references left in its text.
//   decks-from-files  the same for decks opened from BASE = file:///FOLDER/ (a copy of
//           the slides folder alone), with the requests that failed and the fonts' status
//   speaker PATH@SLIDE[@OUT.png]: the speaker view (key S) of that slide: its notes
//   deck-lecture PATH#HASH: the slide a deck opens at for that hash (#/lecture-2), and
//           the slide a click on the title slide's link to that hash shows
//   deck-phone  a deck on a 390 x 844 phone: read as a page, its smallest text, its width
//           Also: where the chapter's learning goals start, and the words of table
//           cells broken across two lines.
//   laptop  PATH@WIDTHxHEIGHT: the display formulas whose content is wider than their box
//   keyboard PATH@WIDTHxHEIGHT: walking the page with the Tab key, the boxes the focus
//           stopped on that fit, and the boxes that scroll but were passed by
//   chrome  PATH@WIDTHxHEIGHT: whether the visible sidebar buttons open their sidebar and
//           the colour-mode button shows its icon
//   search  the site's search page on a phone: PATH is search.html?q=WORD; the result
//           links and snippets, and whether the page scrolls sideways
//   shot    screenshots: PATH=OUT.png@URL_PATH@WIDTHxHEIGHT[@SLIDE_INDEX]
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import puppeteer from 'puppeteer-core';

const [mode, base, ...paths] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run',
         '--disable-background-networking', '--disable-component-update'],
});
const results = {};

// The boxes that may scroll sideways (the theme's list and display formulas).
const BOXES = 'pre, .cell_output > .output, .nboutput > .output_area, .jp-RenderedHTMLCommon, ' +
  '.pst-scrollable-table-container, mjx-container[display="true"]';

// Before any script of the page runs: count the boxes whose layout a script reads
// (scrollWidth and friends). Reading one lays out the page up to it; reading every
// box lays out a whole long chapter, which costs seconds on a phone.
function countMeasuredBoxes(boxes) {
  window.__measured = new Set();
  const props = ['scrollWidth', 'scrollHeight', 'clientWidth', 'clientHeight',
                 'offsetWidth', 'offsetHeight'];
  for (const name of props) {
    for (const proto of [Element.prototype, HTMLElement.prototype]) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (!d || !d.get) continue;
      Object.defineProperty(proto, name, {configurable: true, get() {
        if (!window.__measuring && this.matches && this.matches(boxes)) window.__measured.add(this);
        return d.get.call(this);
      }});
    }
  }
  const rect = Element.prototype.getBoundingClientRect;
  Element.prototype.getBoundingClientRect = function () {
    if (!window.__measuring && this.matches(boxes)) window.__measured.add(this);
    return rect.call(this);
  };
}

// Every section laid out (the site lays out far sections only when they near the screen).
async function layOutEverything(page) {
  await page.evaluate(() => {
    const style = document.createElement('style');
    style.textContent = 'article section { content-visibility: visible !important; }';
    document.head.appendChild(style);
  });
}

// Walk the page with the Tab key (the site corrects its boxes' stops as the focus
// moves: _static/mlhw-site.js) and list the boxes the focus stopped on that do not
// scroll, and the boxes that scroll but that the walk passed by.
async function tabWalk(page, presses = 600) {
  await page.evaluate((boxes) => {
    window.__visited = [];
    document.addEventListener('focusin', (e) => {
      if (e.target.matches && e.target.matches(boxes)) window.__visited.push(e.target);
      window.__lastFocus = e.target;
    }, true);
  }, BOXES);
  let previous = null;
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const a = document.activeElement;
      return a && a !== document.body ? (a.id || '') + a.tagName + (a.textContent || '').slice(0, 30) + a.getBoundingClientRect().top : null;
    });
    // the end of the page: the focus leaves the document or comes back to the top
    if (where === null || (previous !== null && i > 5 && where.startsWith('pst-skip-link'))) break;
    previous = where;
  }
  await layOutEverything(page);
  return page.evaluate((boxes) => {
    const say = (b) => b.tagName.toLowerCase() + ': ' + b.textContent.trim().slice(0, 50);
    const scrolls = (b) => b.scrollWidth > b.clientWidth + 1 ||
      (b.tagName !== 'MJX-CONTAINER' && b.scrollHeight > b.clientHeight + 1);
    const visited = new Set(window.__visited);
    const last = window.__lastFocus;
    const fit = [...visited].filter((b) => !scrolls(b)).map(say);
    const missed = [...document.querySelectorAll(boxes)].filter((b) =>
      b.checkVisibility({visibilityProperty: true}) && !b.closest('details:not([open])')
      && scrolls(b) && !visited.has(b) && !b.querySelector('a[href], button')
      && (!last || last.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_PRECEDING)).map(say);
    return {stops_that_fit: fit, scrollers_not_stops: missed, visited: visited.size};
  }, BOXES);
}

// Elements that reach past the right edge of the text column (with every section laid
// out): on a phone, what a section does not show and cannot scroll to.
async function stickingOut(page) {
  await layOutEverything(page);
  return page.evaluate(() => {
    const article = document.querySelector('article.bd-article');
    if (!article) return {sticking_out: []};
    const style = getComputedStyle(article);
    const right = article.getBoundingClientRect().right - parseFloat(style.paddingRight);
    const out = [];
    for (const el of article.querySelectorAll('*')) {
      // scrolling boxes and MathJax's parts are measured by their own checks
      if (el.closest('pre, mjx-container, .pst-scrollable-table-container, ' +
                     '.cell_output > .output, figure > a, .math')) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > right + 1) {
        out.push(el.tagName.toLowerCase() + '.' + [...el.classList].slice(0, 2).join('.') + ' +' +
                 Math.round(r.right - right) + 'px: ' + (el.textContent || '').trim().slice(0, 60));
      }
    }
    return {sticking_out: out};
  });
}

// Every slide of a lecture deck at 1280 x 720, shown in turn: how far its content
// reaches past the slide's content box (bottom, right), the smallest text on it (px on
// the screen: font size times the deck's scale), its title, notes, code cells, formulas.
async function measureDeck(page) {
  return page.evaluate(async () => {
    const R = window.Reveal;
    const out = [];
    const slides = R.getSlides();
    for (let i = 0; i < slides.length; i++) {
      R.slide(i);
      await new Promise((res) => setTimeout(res, 30));
      const s = R.getCurrentSlide();
      const scale = R.getScale();
      const cs = getComputedStyle(s);
      const box = s.getBoundingClientRect();
      const bottom = box.bottom - parseFloat(cs.paddingBottom) * scale;
      const right = box.right - parseFloat(cs.paddingRight) * scale;
      let over_bottom = 0, over_right = 0, lowest = box.top;
      const small = [];
      let minFont = Infinity;
      const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (!t.textContent.trim()) continue;
        let el = t.parentElement;
        if (el.closest('aside.notes, mjx-assistive-mml, style, script')) continue;
        const math = el.closest('mjx-container');
        if (math) el = math;  // a formula's size is its container's (scripts are smaller)
        const size = parseFloat(getComputedStyle(el).fontSize) * scale;
        if (size < minFont) minFont = size;
        if (size < 23.5) small.push(Math.round(size * 10) / 10 + 'px: ' + t.textContent.trim().slice(0, 40));
      }
      for (const el of s.querySelectorAll('*')) {
        // a formula is measured by its container (MathJax's inner boxes overhang it)
        if (el.closest('aside.notes') || el.parentElement.closest('mjx-container')) continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height) continue;
        over_bottom = Math.max(over_bottom, r.bottom - bottom);
        if (!el.children.length || el.matches('mjx-container, pre, table, img')) lowest = Math.max(lowest, r.bottom);
        over_right = Math.max(over_right, r.right - right);
      }
      const number = document.querySelector('.reveal .slide-number');
      const numberSize = number ? parseFloat(getComputedStyle(number).fontSize) : 0;
      const arrows = document.querySelector('.reveal .controls').getBoundingClientRect();
      let under = 0;
      for (const el of s.querySelectorAll('*')) {
        if (el.closest('aside.notes') || el.children.length) continue;
        const r = el.getBoundingClientRect();
        if (r.width && arrows.width && r.right > arrows.left && r.left < arrows.right
            && r.bottom > arrows.top && r.top < arrows.bottom) under++;
      }
      const prose = s.cloneNode(true);
      prose.querySelectorAll('pre, code, mjx-container, aside.notes').forEach((e) => e.remove());
      document.body.appendChild(prose);
      const text = prose.innerText;
      prose.remove();
      const body = s.querySelector('.slide-body') || s;
      const codeColours = [...body.querySelectorAll('pre.code span')].map((e) => getComputedStyle(e).color);
      out.push({
        index: i, title: (s.querySelector('h1, h2')?.innerText || '').slice(0, 80),
        text: s.querySelector('.slide-body')?.innerText || '',
        over_bottom: Math.round(over_bottom), over_right: Math.round(over_right),
        // how much of the slide's height its content fills
        fill: Math.round(100 * (lowest - box.top) / (bottom - box.top)) / 100,
        min_font: Math.round(minFont * 10) / 10, small: small.slice(0, 5),
        number: number ? number.innerText : '', number_size: numberSize * 1,
        notes: R.getSlideNotes(s) ? (() => { const d = document.createElement('div');
          d.innerHTML = R.getSlideNotes(s); return d.textContent.trim().length; })() : 0,
        code_blocks: body.querySelectorAll('pre.code').length,
        code_colours: new Set(codeColours).size,
        cells: [...s.querySelectorAll('.cell[data-cell]')].map((c) => ({
          id: c.dataset.cell, code: !!c.querySelector('pre.code'),
          outputs: c.querySelectorAll('pre.output, figure, .output-md, .output-html, .display-math').length})),
        unresolved: (text.match(/\?\?|\{(?:ref|numref|prf:ref|eq|doc|glue:text|glue|cite:p|cite:t|term)\}|[A-Za-z0-9_-]+\.(?:ipynb|md)\b|\$\$|\\\(|\\\[/g) || []),
        merror: s.querySelectorAll('mjx-merror').length,
        formulas: s.querySelectorAll('mjx-container').length,
        empty_formulas: [...s.querySelectorAll('mjx-container')].filter((m) => {
          const r = m.getBoundingClientRect(); return !(r.width > 0 && r.height > 0); }).length,
        cut_formulas: [...s.querySelectorAll('mjx-container[display="true"]')]
          .filter((m) => m.scrollWidth > m.clientWidth + 1).length,
        under_arrows: under,
        // where a lecture starts: the slide's id, its mark, and whether the mark is seen
        id: s.id, lecture: s.dataset.lecture || '',
        lecture_mark: (() => {
          const m = s.querySelector('.lecture-mark');
          if (!m) return null;
          const r = m.getBoundingClientRect(), st = getComputedStyle(m);
          return {text: m.innerText.trim(),
                  visible: r.width > 0 && r.height > 0 && st.visibility === 'visible'
                    && Number(st.opacity) > 0 && r.top >= box.top - 1 && r.bottom <= bottom + 1
                    && r.left >= box.left - 1 && r.right <= right + 1};
        })(),
        lecture_plan: [...s.querySelectorAll('ol.deck-lectures li')].map((li) => ({
          text: li.innerText.trim(), href: li.querySelector('a')?.getAttribute('href') || ''})),
        images: [...s.querySelectorAll('img')].map((img) => ({
          src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0,
          height: Math.round(img.getBoundingClientRect().height)})),
      });
    }
    return out;
  });
}

// Words of table cells cut: across two lines (a line may end at a space, a hyphen, a
// dash or a slash; anywhere else the word was broken), or by the right edge of a table
// that scrolls sideways (the first screen of the table shows part of the word):
// "cell text: word".
async function brokenWords(page) {
  return page.evaluate(() => {
    const out = [];
    for (const cell of document.querySelectorAll('article table td, article table th')) {
      if (!cell.getClientRects().length) continue;
      const box = cell.closest('.pst-scrollable-table-container, .cell_output .output') || cell;
      const edge = box.scrollWidth > box.clientWidth + 1
        ? box.getBoundingClientRect().left + box.clientLeft + box.clientWidth : Infinity;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (t.parentElement.closest('mjx-container, pre')) continue;
        const re = /[^\s\-\u2010-\u2015\/]+[\-\u2010-\u2015\/]?/g;
        for (let m = re.exec(t.textContent); m; m = re.exec(t.textContent)) {
          const range = document.createRange();
          range.setStart(t, m.index);
          range.setEnd(t, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
            .map((r) => Math.round(r.top)));
          const cut = [...range.getClientRects()].some((r) => r.left < edge - 1 && r.right > edge + 1);
          // (a long code name wraps at any character: the column must hold it)
          const split = lines.size > 1 && !t.parentElement.closest('code');
          if (split || cut) out.push(cell.textContent.trim().slice(0, 30) + ': ' + m[0]);
        }
      }
    }
    return out;
  });
}

async function open(url, viewport, init) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  if (init) await page.evaluateOnNewDocument(init, BOXES);
  await page.goto(url, {waitUntil: 'networkidle0', timeout: 60000});
  await page.evaluate(() => document.fonts.ready.then(() => true));
  return page;
}

// PATH@WIDTHxHEIGHT -> the page opened in a window of that size (a phone below 500 px)
async function openSized(spec) {
  const [p, size] = spec.split('@');
  const [w, h] = size.split('x').map(Number);
  return open(base + p, {width: w, height: h, isMobile: w < 500, hasTouch: w < 500});
}

try {
  if (mode === 'phone') {
    for (const p of paths) {
      const page = await open(base + p, {width: 390, height: 844, deviceScaleFactor: 1,
                                         isMobile: true, hasTouch: true}, countMeasuredBoxes);
      results[p] = await page.evaluate((boxes) => {
        const measuredAtLoad = window.__measured ? window.__measured.size : -1;
        window.__measuring = true;  // the test's own measurements are not counted
        const column = (el) => {
          // the nearest block ancestor that is not a math element: its content box
          let b = el.parentElement;
          while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
          const r = b.getBoundingClientRect();
          const s = getComputedStyle(b);
          return {left: r.left + parseFloat(s.paddingLeft), right: r.right - parseFloat(s.paddingRight)};
        };
        const wide = [];
        for (const m of document.querySelectorAll('mjx-container')) {
          if (m.closest('mjx-assistive-mml')) continue;
          const display = m.getAttribute('display') === 'true';
          const col = column(display ? m.parentElement : m);
          if (display) {
            const r = m.getBoundingClientRect();
            if (r.right > col.right + 1 || r.left < col.left - 1)
              wide.push({display: true, tex: (m.firstElementChild?.getAttribute('data-latex') || '').slice(0, 80),
                         width: Math.round(r.width), column: Math.round(col.right - col.left)});
          } else {
            for (const r of m.getClientRects()) {
              if (r.width > 0 && (r.right > col.right + 1 || r.left < col.left - 1)) {
                wide.push({display: false, tex: (m.firstElementChild?.getAttribute('data-latex') || '').slice(0, 80),
                           width: Math.round(r.width), column: Math.round(col.right - col.left)});
                break;
              }
            }
          }
        }
        const displays = [...document.querySelectorAll('mjx-container[display="true"]')];
        return {
          formulas: document.querySelectorAll('mjx-container').length,
          wide,
          scrollable_displays: displays.filter((m) => m.scrollWidth > m.clientWidth + 1
            && getComputedStyle(m).overflowX === 'auto').length,
          page_scrolls_sideways: document.documentElement.scrollWidth > window.innerWidth + 1,
          boxes: document.querySelectorAll(boxes).length,
          images: [...document.querySelectorAll('article img')].map((img) => {
            const r = img.getBoundingClientRect();
            const link = img.closest('figure > a.image-reference');
            const cue = link ? getComputedStyle(link, '::after').content : '';
            return {src: img.getAttribute('src'), width: r.width, height: r.height,
                    natural: parseFloat(img.getAttribute('width') || '0'),
                    // in a figure: does its box scroll sideways, and does the line under it say so
                    scrolls: link ? link.scrollWidth > link.clientWidth + 1 : null,
                    swipe_cue: /swipe/.test(cue || '')};
          }),
          // punctuation right after an in-line formula that starts a line of its own
          punctuation_alone: [...document.querySelectorAll('span.math > mjx-container:not([display])')]
            .flatMap((m) => {
              let node = m.nextSibling || m.parentElement.nextSibling;
              if (!node || node.nodeType !== 3 || !/^[.,;:!?)]/.test(node.textContent)) return [];
              const range = document.createRange();
              range.setStart(node, 0); range.setEnd(node, 1);
              const p = range.getBoundingClientRect();
              // the formula's last piece: the last top-level part of its line(s)
              const parts = [...m.querySelector('mjx-math').children]
                .filter((c) => c.tagName !== 'MJX-BREAK');
              const last = parts.length && parts[parts.length - 1].getBoundingClientRect();
              if (!last || last.height === 0 || p.height === 0) return [];
              const top = last.top - 4, bottom = last.bottom + 4;
              const middle = (p.top + p.bottom) / 2;
              return (middle < top || middle > bottom)
                ? [(m.firstElementChild?.getAttribute('data-latex') || '').slice(0, 50) + ' ' + node.textContent[0]] : [];
            }),
          measured_at_load: measuredAtLoad,
          // the top of the chapter's learning goals (a paragraph that opens with them in
          // bold), in page coordinates: on the first screen or below it
          learning_goals_top: (() => {
            const goals = [...document.querySelectorAll('article p > strong:first-child')]
              .find((b) => /^Learning goals\b/.test(b.textContent.trim()));
            return goals ? Math.round(goals.getBoundingClientRect().top + window.scrollY) : null;
          })(),
          // a box that scrolls sideways and is not a keyboard stop (a box that holds a
          // link or a button can be scrolled by tabbing to it)
          unfocusable_scrollers: [...document.querySelectorAll(boxes)].filter((b) =>
            b.scrollWidth > b.clientWidth + 1 && b.getClientRects().length > 0
            && ['auto', 'scroll'].includes(getComputedStyle(b).overflowX)
            && b.getAttribute('tabindex') !== '0' && !b.querySelector('a[href], button, [tabindex="0"]'))
            .map((b) => b.tagName.toLowerCase() + ': ' + b.textContent.slice(0, 60)),
        };
      }, BOXES);
      Object.assign(results[p], await stickingOut(page));
      results[p].broken_words = await brokenWords(page);
      await page.close();
    }
  } else if (mode === 'axe') {
    const axe = fs.readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
    for (const p of paths) {
      const page = await open(base + p, {width: 1280, height: 900});
      await page.evaluate(axe);
      results[p] = await page.evaluate(async () => {
        const r = await window.axe.run(document, {resultTypes: ['violations']});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
      });
      await page.close();
    }
  } else if (mode === 'slides' || mode === 'decks-from-files') {
    // slides: every slide of a lecture deck at 1280 x 720 (see measureDeck).
    // decks-from-files: BASE is a file:// folder (a copy of the slides folder alone):
    // each deck opened from there; the requests that failed, the fonts that did not
    // load, the formulas (and MathJax errors) it shows, and the same slide measurements.
    for (const p of paths) {
      const page = await browser.newPage();
      await page.setViewport({width: 1280, height: 720});
      const failed = [];
      const errors = [];
      page.on('requestfailed', (r) => failed.push(r.url() + ' ' + (r.failure()?.errorText || '')));
      page.on('response', (r) => { if (r.status() >= 400) failed.push(r.url() + ' ' + r.status()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(base + p, {waitUntil: 'networkidle0', timeout: 60000});
      await page.waitForFunction(() => document.body.dataset.deckReady === '1', {timeout: 60000});
      const slides = await measureDeck(page);
      // every slide has been shown: every font a formula uses has been asked for
      const fonts = await page.evaluate(() => document.fonts.ready.then(() =>
        [...document.fonts].map((f) => ({family: f.family, status: f.status}))));
      results[p] = {slides, failed, errors, fonts,
                    formulas: await page.evaluate(() => document.querySelectorAll('mjx-container').length),
                    merrors: await page.evaluate(() => document.querySelectorAll('mjx-merror').length)};
      await page.close();
    }
  } else if (mode === 'deck-phone') {
    // a deck on a 390 x 844 phone: read as one page; its text sizes and width
    for (const p of paths) {
      const page = await open(base + p, {width: 390, height: 844, isMobile: true, hasTouch: true});
      await page.waitForFunction(() => document.body.dataset.deckReady === '1', {timeout: 60000});
      results[p] = await page.evaluate(() => {
        const sections = [...document.querySelectorAll('.reveal .slides > section')];
        const sizes = {};
        const walker = document.createTreeWalker(document.querySelector('.reveal .slides'), NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          if (!t.textContent.trim()) continue;
          let el = t.parentElement;
          if (el.closest('aside.notes, mjx-assistive-mml')) continue;
          el = el.closest('mjx-container') || el;
          if (!el.getClientRects().length) continue;
          const kind = el.closest('pre, table') ? 'code' : 'text';
          const size = parseFloat(getComputedStyle(el).fontSize);
          sizes[kind] = Math.min(sizes[kind] ?? Infinity, size);
        }
        return {reading: document.documentElement.classList.contains('mlhw-read'),
                sections: sections.length,
                shown: sections.filter((s) => s.getBoundingClientRect().height > 0
                  && getComputedStyle(s).visibility !== 'hidden').length,
                page_scrolls_sideways: document.documentElement.scrollWidth > window.innerWidth + 1,
                wider_than_screen: [...document.querySelectorAll('.reveal .slides *')].filter((e) => {
                  if (e.closest('aside.notes, mjx-container, pre, table')) return false;
                  const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1;
                }).map((e) => e.tagName + ': ' + (e.textContent || '').slice(0, 40)).slice(0, 5),
                min_text: sizes.text ?? 0, min_code: sizes.code ?? 0};
      });
      await page.close();
    }
  } else if (mode === 'speaker') {
    // the speaker view (key S) of a deck: the notes it shows for slide PATH@INDEX,
    // and a screenshot of it (BASE is the deck folder; OUT.png after a second @)
    for (const spec of paths) {
      const [p, index, out] = spec.split('@');
      const page = await browser.newPage();
      await page.setViewport({width: 1280, height: 720});
      await page.goto(base + p, {waitUntil: 'networkidle0', timeout: 60000});
      await page.waitForFunction(() => document.body.dataset.deckReady === '1', {timeout: 60000});
      await page.evaluate((k) => window.Reveal.slide(k), Number(index));
      const popup = new Promise((res) => browser.once('targetcreated', (t) => res(t.page())));
      await page.keyboard.press('s');
      const view = await popup;
      await view.setViewport({width: 1280, height: 800});
      await view.waitForFunction(() => {
        const n = document.querySelector('.speaker-controls-notes .value');
        return n && n.textContent.trim().length > 0;
      }, {timeout: 30000}).catch(() => null);
      await new Promise((r) => setTimeout(r, 1500));
      results[spec] = await view.evaluate(() => {
        const n = document.querySelector('.speaker-controls-notes .value');
        return {notes: n ? n.innerText.slice(0, 400) : null,
                mathml: n ? n.querySelectorAll('math').length : 0,
                frames: document.querySelectorAll('iframe').length};
      });
      if (out) await view.screenshot({path: out});
      await view.close();
      await page.close();
    }
  } else if (mode === 'deck-lecture') {
    // PATH#HASH: the deck opened at that hash (from BASE, e.g. file://): the slide shown;
    // then the title slide, and a click on its link to the hash: the slide shown
    for (const spec of paths) {
      const [p, hash] = spec.split('#');
      const page = await browser.newPage();
      await page.setViewport({width: 1280, height: 720});
      await page.goto(base + p + '#' + hash, {waitUntil: 'networkidle0', timeout: 60000});
      await page.waitForFunction(() => document.body.dataset.deckReady === '1', {timeout: 60000});
      const shown = () => page.evaluate(() => {
        const s = window.Reveal.getCurrentSlide();
        return {index: window.Reveal.getIndices().h, id: s.id, hash: location.hash,
                mark: s.querySelector('.lecture-mark')?.innerText.trim() || null};
      });
      const opened = await shown();
      await page.evaluate(() => window.Reveal.slide(0));
      await new Promise((res) => setTimeout(res, 200));
      const link = await page.$(`.reveal .slides > section:first-child a[href="#${hash}"]`);
      let clicked = null;
      if (link) {
        await link.click();
        await new Promise((res) => setTimeout(res, 500));
        clicked = await shown();
      }
      results[spec] = {opened, clicked};
      await page.close();
    }
  } else if (mode === 'keyboard') {
    // PATH@WIDTHxHEIGHT: the keyboard stops after the first Tab at that window size
    for (const spec of paths) {
      const page = await openSized(spec);
      results[spec] = await tabWalk(page);
      await page.close();
    }
  } else if (mode === 'laptop') {
    // PATH@WIDTHxHEIGHT (a laptop: 1280 x 800): every display formula (every section laid
    // out) whose content is wider than its box, with how many pixels scroll out of sight
    for (const spec of paths) {
      const page = await openSized(spec);
      await layOutEverything(page);
      results[spec] = await page.evaluate(() => {
        const displays = [...document.querySelectorAll('mjx-container[display="true"]')]
          .filter((m) => !m.closest('mjx-assistive-mml') && m.getClientRects().length > 0);
        return {displays: displays.length, hidden: displays
          .filter((m) => m.scrollWidth > m.clientWidth + 1)
          .map((m) => ({hidden: m.scrollWidth - m.clientWidth, width: m.clientWidth,
                        tex: (m.firstElementChild?.getAttribute('data-latex') || m.textContent)
                          .trim().slice(0, 60)}))};
      });
      await page.close();
    }
  } else if (mode === 'code') {
    // PATH@WIDTHxHEIGHT: every box of code or printed output that scrolls sideways (every
    // section laid out): its longest line, and whether its scroll cue is painted
    for (const spec of paths) {
      const page = await openSized(spec);
      results[spec] = await page.evaluate(() => {
        document.querySelectorAll('section').forEach((s) => { s.style.contentVisibility = 'visible'; });
        const pres = [...document.querySelectorAll('article pre')];
        return {boxes: pres.length, scrolling: pres.filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
          .map((pre) => ({
            longest: Math.max(...pre.textContent.split('\n').map((line) => line.length)),
            input: !!pre.closest('.cell_input'),
            cue: getComputedStyle(pre).backgroundImage.includes('radial-gradient')
              && getComputedStyle(pre).backgroundAttachment.includes('local'),
            start: pre.textContent.slice(0, 50),
          }))};
      });
      await page.close();
    }
  } else if (mode === 'chrome') {
    // PATH@WIDTHxHEIGHT: the header's buttons work: the visible sidebar buttons open their
    // sidebar, and the colour-mode button shows an icon
    for (const spec of paths) {
      const page = await openSized(spec);
      const out = {};
      for (const side of ['primary', 'secondary']) {
        const button = await page.evaluateHandle((side) => [...document.querySelectorAll('.' + side + '-toggle')]
          .find((b) => b.getClientRects().length && getComputedStyle(b).visibility !== 'hidden'), side);
        if (!(await button.evaluate((b) => !!b))) { out[side] = 'no visible button'; continue; }
        await button.click();
        await new Promise((r) => setTimeout(r, 300));
        // a phone opens the sidebar as a dialog; a wide screen folds the sidebar away
        out[side] = await page.evaluate((side) => {
          const sidebar = document.getElementById(`pst-${side}-sidebar`);
          return document.getElementById(`pst-${side}-sidebar-modal`)?.open ? 'opens'
            : sidebar && sidebar.classList.contains('pst-sidebar-hidden') ? 'folds' : 'does nothing';
        }, side);
        await page.keyboard.press('Escape');
        await new Promise((r) => setTimeout(r, 200));
      }
      out.colour_mode_icon = await page.evaluate(() => [...document.querySelectorAll('.theme-switch-button .theme-switch')]
        .some((i) => getComputedStyle(i).display !== 'none' && i.getBoundingClientRect().width > 0));
      results[spec] = out;
      await page.close();
    }
  } else if (mode === 'search') {
    for (const p of paths) {
      const page = await open(base + p, {width: 390, height: 844, isMobile: true, hasTouch: true});
      await page.waitForFunction(() => document.querySelectorAll('ul.search li p.context').length > 0
        || /did not match|no results/i.test(document.querySelector('#search-results')?.innerText || ''),
        {timeout: 30000});
      results[p] = await page.evaluate(() => ({
        links: [...document.querySelectorAll('ul.search li a')].map((a) => a.getAttribute('href')),
        snippets: [...document.querySelectorAll('ul.search li p.context')].map((c) => c.textContent),
        page_scrolls_sideways: document.documentElement.scrollWidth > window.innerWidth + 1,
      }));
      await page.close();
    }
  } else if (mode === 'shot') {
    for (const spec of paths) {
      const [out, url, size, slide] = spec.split('@');
      const [w, h] = size.split('x').map(Number);
      const page = await open(base + url, {width: w, height: h, isMobile: w < 500, hasTouch: w < 500});
      if (slide !== undefined) {
        await page.waitForFunction(() => window.Reveal && window.Reveal.isReady(), {timeout: 30000});
        await page.evaluate((k) => { const s = window.Reveal.getSlides()[k];
          const i = window.Reveal.getIndices(s); window.Reveal.slide(i.h, i.v); }, Number(slide));
        await new Promise((res) => setTimeout(res, 500));
      }
      await page.screenshot({path: out});
      results[spec] = out;
      await page.close();
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
