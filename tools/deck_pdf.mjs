// PDF handouts of the lecture decks: Chromium prints each deck's `?print-pdf` view
// (reveal.js lays every slide out on a page of its own, 1280 x 720 px).
//
//   node tools/deck_pdf.mjs DECK.slides.html [DECK.slides.html ...]
//
// writes DECK.handout.pdf beside each deck. The deck is opened from file://, as a
// copy of the slides folder would be: nothing is fetched from a server.
// Chromium: CHROME_PATH, else /usr/bin/chromium.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import puppeteer from 'puppeteer-core';

const decks = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run',
         '--disable-background-networking', '--disable-component-update'],
});
try {
  for (const deck of decks) {
    const page = await browser.newPage();
    await page.setViewport({width: 1280, height: 720});
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(path.resolve(deck)).href + '?print-pdf',
                    {waitUntil: 'load', timeout: 60000});
    await page.waitForFunction(() => document.body.dataset.deckReady === '1'
      && document.querySelectorAll('.pdf-page').length > 0, {timeout: 60000});
    await page.evaluate(() => document.fonts.ready.then(() => true));
    if (failed.length) throw new Error(`${deck}: failed to load ${failed.join(', ')}`);
    const out = deck.replace(/\.slides\.html$/, '.handout.pdf');
    await page.pdf({path: out, preferCSSPageSize: true, printBackground: true});
    const pages = await page.evaluate(() => document.querySelectorAll('.pdf-page').length);
    console.log(`${out}: ${pages} pages`);
    await page.close();
  }
} finally {
  await browser.close();
}
