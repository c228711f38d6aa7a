// Typeset the TeX of built HTML pages at build time with MathJax 4 (npm `mathjax4`,
// an alias of mathjax@4), so that pages ship finished CHTML and no MathJax script.
//
//   node _ext/prerender_math.mjs CONFIG.json PAGE.html [PAGE.html ...]
//
// CONFIG.json: {"macros": {...}, "fontURL": "<path of the woff2 folder from a page in book/>"}.
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
  output: {linebreaks: {inline: true}, displayOverflow: 'overflow'},
  options: {
    ignoreHtmlClass: 'tex2jax_ignore|mathjax_ignore|document',
    processHtmlClass: 'tex2jax_process|mathjax_process|math|output_area',
  },
  startup: {typeset: false},
});

const adaptor = MathJax.startup.adaptor;
let total = 0;
for (const page of pages) {
  const text = fs.readFileSync(page, 'utf8');
  const doc = MathJax.startup.getDocument(text);
  // one output jax serves every page: forget the characters and styles of the last one,
  // so that each page's stylesheet is complete
  doc.outputJax.reset();
  await doc.renderPromise();
  total += Array.from(doc.math).length;
  const out = adaptor.doctype(doc.document) + '\n' + adaptor.outerHTML(adaptor.root(doc.document));
  fs.writeFileSync(page, out);
}
console.log(`prerender_math: ${total} formulas on ${pages.length} pages`);
