// Typeset the TeX of built HTML pages at build time with MathJax 4 (npm `mathjax4`,
// an alias of mathjax@4), so that pages ship finished CHTML and no MathJax script.
//
//   node _ext/prerender_math.mjs CONFIG.json PAGE.html [PAGE.html ...]
//
// CONFIG.json: {"macros": {...}} and, for the slides, {"lineWidth": "40em"}: display
// formulas are then broken into lines of at most that width (a slide's width is known;
// a page's is not), and not marked as scrolling boxes.
// Each page is rewritten in place. MathJax 4 breaks long in-line formulas at their
// top-level operators (the browser wraps them like words); display formulas keep
// their width and scroll inside their box (see _static/mlhw-site.css).
// The CHTML stylesheet of each page names the fonts with FONTURL_PLACEHOLDER,
// which _ext/site_speed.py replaces by the path relative to that page.
import fs from 'node:fs';
import MathJax from 'mathjax4';

const [configFile, ...pages] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));

await MathJax.init({
  loader: {load: ['input/tex', 'output/chtml', 'adaptors/liteDOM', 'a11y/assistive-mml',
                  '[tex]/boldsymbol', '[tex]/noerrors', '[tex]/mathtools', '[tex]/cancel']},
  tex: {
    macros: config.macros,
    inlineMath: [['\\(', '\\)']],
    displayMath: [['\\[', '\\]']],
    processEscapes: false,
    packages: {'[+]': ['boldsymbol', 'noerrors', 'mathtools', 'cancel']},
  },
  chtml: {fontURL: 'FONTURL_PLACEHOLDER', adaptiveCSS: true},
  output: config.lineWidth
    ? {linebreaks: {inline: true, width: config.lineWidth}, displayOverflow: 'linebreak'}
    : {linebreaks: {inline: true}, displayOverflow: 'overflow'},
  options: {
    ignoreHtmlClass: 'tex2jax_ignore|mathjax_ignore|document',
    processHtmlClass: 'tex2jax_process|mathjax_process|math|output_area',
  },
  startup: {typeset: false},
});

const adaptor = MathJax.startup.adaptor;

// A display formula wider than this (in em of the text) may scroll sideways on a phone:
// the narrowest column a display formula sits in at 390 px is 269 px (a formula in a
// proof; 358 px in plain text), i.e. 16.8 em of 16-px text. Such a formula is made a
// keyboard stop here, at build time, so that no script has to measure every formula
// when a page loads; _static/mlhw-site.js corrects the marks at the first Tab key press.
// (Screen readers read the formula itself: it gets no role or label of its own.)
const WIDE_EM = 16;

// MathJax writes the TeX of every sub-expression (data-latex) for its run-time menu,
// which pre-rendered pages do not load: keep the formula's TeX once, on mjx-math.
function dropLatex(node, keep) {
  if (adaptor.kind(node).startsWith('#')) return;
  if (!keep) adaptor.removeAttribute(node, 'data-latex');
  for (const child of adaptor.childNodes(node)) dropLatex(child, false);
}

let total = 0, wide = 0;
for (const page of pages) {
  const text = fs.readFileSync(page, 'utf8');
  const doc = MathJax.startup.getDocument(text);
  // one output jax serves every page: forget the characters and styles of the last one,
  // so that each page's stylesheet is complete
  doc.outputJax.reset();
  await doc.renderPromise();
  for (const item of doc.math) {
    const root = item.typesetRoot;
    adaptor.removeAttribute(root, 'data-latex');
    for (const child of adaptor.childNodes(root)) dropLatex(child, adaptor.kind(child) === 'mjx-math');
    if (!config.lineWidth && item.display
        && doc.outputJax.getBBox(item, doc).w * item.metrics.scale > WIDE_EM) {
      adaptor.setAttribute(root, 'tabindex', '0');
      wide += 1;
    }
    total += 1;
  }
  const out = adaptor.doctype(doc.document) + '\n' + adaptor.outerHTML(adaptor.root(doc.document));
  fs.writeFileSync(page, out);
}
console.log(`prerender_math: ${total} formulas on ${pages.length} pages (${wide} wide display formulas)`);
