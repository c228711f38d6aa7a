// mlhw-book: a display formula wider than its column scrolls inside its box
// (mlhw-site.css); only such a formula becomes a keyboard stop, so that it can be
// scrolled without a mouse. Formulas that fit are not tab stops.
(function () {
  function mark() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {
      if (m.scrollWidth > m.clientWidth + 1) {
        m.tabIndex = 0;
        m.setAttribute('role', 'region');
        m.setAttribute('aria-label', 'formula, scrolls sideways');
      } else if (m.hasAttribute('tabindex')) {
        m.removeAttribute('tabindex');
        m.removeAttribute('role');
        m.removeAttribute('aria-label');
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mark);
  else mark();
  window.addEventListener('resize', mark);
})();
