// Which formulas would not render in plain Jupyter? Each TeX string is converted
// by MathJax 3 (what JupyterLab 4 ships) with every TeX package, but without the
// book's macros and without `noundefined`/`noerrors`, so an undefined \macro or a
// TeX error throws instead of rendering red.
//
//   node tests/tex_check.mjs FORMULAS.json   ->   prints a JSON list of errors
//
// FORMULAS.json: [{"where": "...", "tex": "...", "display": true}, ...]
import fs from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const MathJax = require('mathjax');

const formulas = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const mj = await MathJax.init({
  loader: {load: ['input/tex-full']},
  tex: {
    // bussproofs needs a browser's measurements (JupyterLab leaves it out too)
    packages: {'[-]': ['noundefined', 'noerrors', 'bussproofs']},
    formatError: (jax, err) => { throw err; },
  },
  startup: {typeset: false},
});

const errors = [];
for (const f of formulas) {
  try {
    await mj.tex2mmlPromise(f.tex, {display: f.display});
  } catch (err) {
    errors.push({where: f.where, tex: f.tex, error: String(err.message || err)});
  }
}
console.log(JSON.stringify({checked: formulas.length, errors}));
