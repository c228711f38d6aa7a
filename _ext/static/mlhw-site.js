// mlhw-book: a box that scrolls sideways (code, an output, a table, a display formula
// wider than its column: mlhw-site.css) must be a keyboard stop, so that it can be
// scrolled without a mouse; a box that fits should not be one.
//
// Telling the two apart means laying out every box, which on a long chapter takes
// seconds on a phone (its sections are laid out only as they near the screen:
// content-visibility in mlhw-site.css). So nothing is measured when the page loads:
// the build marks every box that may scroll on a narrow phone (_ext/site_speed.py,
// _ext/prerender_math.mjs), and the first Tab key press, before the browser moves the
// focus, measures every box once and corrects the marks. Readers who do not use the
// keyboard never pay for it. This replaces pydata-sphinx-theme's sweep at load, which
// site_speed.py removes.
(function () {
  var BOXES = 'pre, .cell_output > .output, .nboutput > .output_area, .jp-RenderedHTMLCommon, ' +
    '.pst-scrollable-table-container, mjx-container[display="true"]';
  var exact = false;

  function sweep() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      var math = box.tagName === 'MJX-CONTAINER';
      var scrolls = box.scrollWidth > box.clientWidth + 1 ||
        (!math && box.scrollHeight > box.clientHeight + 1);
      if (scrolls) {
        box.tabIndex = 0;
      } else if (box.getAttribute('tabindex') === '0' && box !== document.activeElement) {
        box.removeAttribute('tabindex');
      }
    });
    exact = true;
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Tab' && !exact) sweep();
  }, true);
  // a new width, or a folded block opened: measure again at the next Tab
  window.addEventListener('resize', function () { exact = false; });
  document.addEventListener('toggle', function () { exact = false; }, true);
})();

// The search page: Sphinx builds each result's snippet from the text of the page it
// fetches; a typeset formula is there twice (the glyphs, and the MathML copy for
// screen readers), so the snippet repeats every formula. Drop the copy first.
(function () {
  if (typeof Search === 'undefined' || typeof Search.htmlToText !== 'function') return;
  var toText = Search.htmlToText;
  Search.htmlToText = function (html, anchor) {
    return toText(html.replace(/<mjx-assistive-mml[\s\S]*?<\/mjx-assistive-mml>/g, ''), anchor);
  };
})();
