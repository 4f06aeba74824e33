// SPDX-License-Identifier: MIT
// Prints ZPL the way a Zebra printer would, into PNG images, for yima's
// tests: node render.mjs LABELS.zpl WxH DPMM OUTDIR
// writes OUTDIR/label-00000.png, ... one image per ^XA..^XZ label, WxH mm
// at DPMM dots per mm (8 for 203 dpi, 12 for 300, 24 for 600), and prints
// the number of labels. The renderer is zebrash (WebAssembly), through
// npm's zpl-renderer-js, pinned in package-lock.json.
import fs from "node:fs";
import path from "node:path";
import { ready } from "zpl-renderer-js";

function usage(msg) {
  process.stderr.write(`render.mjs: ${msg}\nusage: node render.mjs LABELS.zpl WxH DPMM OUTDIR\n`);
  process.exit(2);
}

const [file, size, dpmmText, outDir] = process.argv.slice(2);
if (!outDir) usage("four arguments needed");
const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(size);
if (!m) usage(`label size '${size}' is not WxH in mm`);
const dpmm = Number(dpmmText);
if (![6, 8, 12, 24].includes(dpmm)) usage(`dpmm '${dpmmText}' is not 6, 8, 12 or 24`);

const zpl = fs.readFileSync(file, "utf8"); // ^CI28: the field data is UTF-8
let labels;
try {
  const { api } = await ready;
  labels = await api.zplToBase64MultipleAsync(zpl, Number(m[1]), Number(m[2]), dpmm);
} catch (e) {
  // The renderer's own stack quotes its minified source: say only what failed.
  process.stderr.write(`render.mjs: ${file}: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });
labels.forEach((b64, i) => {
  const name = `label-${String(i).padStart(5, "0")}.png`;
  fs.writeFileSync(path.join(outDir, name), Buffer.from(b64, "base64"));
});
console.log(labels.length);
