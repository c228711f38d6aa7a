// mlhw-book: a box that scrolls sideways (code, an output, a table, a display formula
// wider than its column: mlhw-site.css) must be a keyboard stop, so that it can be
// scrolled without a mouse; a box that fits should not be one.
//
// Telling the two apart means laying out the box, and laying out every box of a long
// chapter takes seconds on a phone (its sections are laid out only as they near the
// screen: content-visibility in mlhw-site.css). So nothing is measured when the page
// loads: the build marks every box that may scroll on a narrow phone
// (_ext/site_speed.py, _ext/prerender_math.mjs). At each Tab key press, before the
// browser moves the focus, the boxes the focus may reach next are measured and their
// marks corrected: those after the focused element (before it, with Shift), up to
// the first one that really scrolls. Each box is measured once (again after a resize
// or after a folded block opens), so a press costs the layout of a section at most,
// and readers who do not use the keyboard never pay for it. This replaces
// pydata-sphinx-theme's sweep at load, which site_speed.py removes.
(function () {
  var BOXES = 'pre, .cell_output > .output, .nboutput > .output_area, .jp-RenderedHTMLCommon, ' +
    '.pst-scrollable-table-container, mjx-container[display="true"]';
  var measured = new WeakSet();

  function scrolls(box) {
    var math = box.tagName === 'MJX-CONTAINER';
    return box.scrollWidth > box.clientWidth + 1 ||
      (!math && box.scrollHeight > box.clientHeight + 1);
  }

  function correct(box) {
    measured.add(box);
    // folded away (a closed block, a hidden solution): not reachable now
    if (box.closest('details:not([open])') ||
        (box.checkVisibility && !box.checkVisibility({visibilityProperty: true}))) return false;
    if (scrolls(box)) {
      box.tabIndex = 0;
      return true;
    }
    // not a stop, even for a browser that makes every scroller one (Chromium does,
    // down to a box one pixel too narrow for its text)
    if (box !== document.activeElement) box.tabIndex = -1;
    return false;
  }

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Tab') return;
    var boxes = Array.prototype.slice.call(document.querySelectorAll(BOXES));
    if (event.shiftKey) boxes.reverse();
    var from = document.activeElement;
    var ahead = function (box) {
      if (!from || from === document.body) return true;
      var after = from.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING;
      return event.shiftKey ? !after && box !== from : !!after && !from.contains(box);
    };
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (!ahead(box)) continue;
      if (measured.has(box)) {
        if (box.getAttribute('tabindex') === '0') break;  // the focus can stop there
        continue;
      }
      if (correct(box)) break;
    }
  }, true);
  // a new width, or a folded block opened: measure again
  function forget() { measured = new WeakSet(); }
  window.addEventListener('resize', forget);
  document.addEventListener('toggle', forget, true);
})();

// pydata-sphinx-theme wires its sidebar buttons (☰ and the page's contents) to the
// first button of each kind on the page, which sphinx-book-theme hides; the visible
// ones did nothing. They now press the wired one.
(function () {
  ['primary', 'secondary'].forEach(function (side) {
    var buttons = document.querySelectorAll('.' + side + '-toggle');
    for (var i = 1; i < buttons.length; i++) {
      buttons[i].addEventListener('click', function (event) {
        event.preventDefault();
        event.stopPropagation();
        buttons[0].click();
      });
    }
  });
})();

// The search page: Sphinx builds each result's snippet from the text of the page it
// fetches. There a typeset formula is twice (the glyphs, and the MathML copy for
// screen readers), and the page's header and navigation (its contents list) come
// before the text: drop both, so that a snippet quotes the text around the match.
(function () {
  if (typeof Search === 'undefined' || typeof Search.htmlToText !== 'function') return;
  var toText = Search.htmlToText;
  var CHROME = 'mjx-assistive-mml, nav, .bd-header-article, .header-article-items, ' +
    '.bd-sidebar-secondary, .bd-toc, .prev-next-area, .headerlink';
  Search.htmlToText = function (html, anchor) {
    var page = new DOMParser().parseFromString(html, 'text/html');
    page.querySelectorAll(CHROME).forEach(function (el) { el.remove(); });
    return toText(page.documentElement.outerHTML, anchor);
  };
})();
