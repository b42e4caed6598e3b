import { readFileSync } from 'node:fs';
import { renderReport } from '../functions/weekly-report/render';
import { launchChromium } from '../scripts/lib/email-screenshots';
async function main() {
  const summary = JSON.parse(readFileSync(process.argv[2] as string, 'utf8'));
  const r = renderReport(summary, { slackChannel: 'C0123456789' });
  const b = await launchChromium();
  const p = await (await b.newContext({ viewport: { width: 375, height: 900 } })).newPage();
  await p.setContent(r.html);
  const rows = await p.evaluate(`[...document.querySelectorAll('p, td > table, .kpi-col')].filter(e=>e.closest('div')).map(e => [Math.round(e.getBoundingClientRect().top), Math.round(e.getBoundingClientRect().height), (e.innerText||'').replace(/\\s+/g,' ').slice(0,60)])`);
  let last = -1;
  for (const [top, h, t] of rows as [number, number, string][]) { if (h > 0 && top > last) { console.log(top, h, t); last = top; } }
  console.log('height', await p.evaluate('document.documentElement.scrollHeight'));
  if (process.argv[3]) {
    await p.setViewportSize({ width: 375, height: 900 });
    for (let y = 0; y < 3400; y += 1100) await p.screenshot({ path: `/tmp/shot/clip-${y}.png`, clip: { x: 0, y, width: 375, height: 1100 }, fullPage: true }).catch(() => {});
  }
  await b.close();
}
main();
