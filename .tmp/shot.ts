import { readFileSync } from 'node:fs';
import { renderReport } from '../functions/weekly-report/render';
import { captureEmailScreenshots } from '../scripts/lib/email-screenshots';
import { launchChromium } from '../scripts/lib/email-screenshots';
async function main() {
  const summary = JSON.parse(readFileSync(process.argv[2] as string, 'utf8'));
  const r = renderReport(summary, { slackChannel: 'C0123456789' });
  const out = process.argv[3] ?? '/tmp/shot';
  const shots = await captureEmailScreenshots(r.html, out, [], { widths: [375] });
  const b = await launchChromium();
  const p = await (await b.newContext({ viewport: { width: 375, height: 900 } })).newPage();
  await p.setContent(r.html);
  console.log('height', await p.evaluate('document.documentElement.scrollHeight'), 'bytes', Buffer.byteLength(r.html), shots.files);
  await b.close();
}
main();
