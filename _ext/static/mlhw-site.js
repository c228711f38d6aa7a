// mlhw-book: a box that scrolls sideways (code, an output, a table, a display formula
// wider than its column: mlhw-site.css) is a keyboard stop, so that it can be scrolled
// without a mouse; a box that fits is not.
//
// The build marks every box that may scroll on a 390-px phone (_ext/site_speed.py,
// _ext/prerender_math.mjs). Here a box is measured only when it comes into view and
// its mark corrected: measuring every box when the page loads would lay out the whole
// page at once, which on a long chapter takes seconds on a phone (its sections are
// laid out as they near the screen: content-visibility in mlhw-site.css). This
// replaces pydata-sphinx-theme's load-time sweep, which site_speed.py removes.
(function () {
  var BOXES = 'pre, .cell_output > .output, .nboutput > .output_area, .jp-RenderedHTMLCommon, ' +
    '.pst-scrollable-table-container, mjx-container[display="true"]';
  var FORMULA = 'formula, scrolls sideways';

  function update(box) {
    var math = box.tagName === 'MJX-CONTAINER';
    var scrolls = box.scrollWidth > box.clientWidth + 1 ||
      (!math && box.scrollHeight > box.clientHeight + 1);
    if (scrolls) {
      box.tabIndex = 0;
      if (math) {
        box.setAttribute('role', 'region');
        box.setAttribute('aria-label', FORMULA);
      }
    } else if (box.hasAttribute('tabindex') && box !== document.activeElement) {
      box.removeAttribute('tabindex');
      if (math) {
        box.removeAttribute('role');
        box.removeAttribute('aria-label');
      }
    }
  }

  function start() {
    var boxes = document.querySelectorAll(BOXES);
    if (!('IntersectionObserver' in window)) {
      return;  // the build's marks stay
    }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) update(entry.target);
      });
    });
    function watch() {
      boxes.forEach(function (box) {
        seen.unobserve(box);
        seen.observe(box);
      });
    }
    watch();
    var timer = null;
    window.addEventListener('resize', function () {
      clearTimeout(timer);
      timer = setTimeout(watch, 200);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
