// The initial route's JavaScript, gzipped, from the built files: everything the browser must
// load to render the dashboard at `/` — the entry (which holds the layout and the dashboard),
// the layout's and the dashboard's own chunks if a build splits them out, and every chunk they
// import statically (from Vite's manifest), plus public/prefetch.js. The editors
// (CodeMirror) and the log view (xterm) load only on their pages and are not counted.
// Fails above the budget. Usage: node scripts/size-budget.mjs [budget KB, default 400]
import { readFileSync } from 'node:fs'
import { resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist')
const budget = Number(process.argv[2] ?? 400) * 1024
const manifest = JSON.parse(readFileSync(resolve(dist, '.vite/manifest.json'), 'utf8'))
const roots = ['index.html', 'src/components/AppLayout.vue', 'src/views/DashboardView.vue']
const seen = new Set()
const files = new Set()
const queue = [...roots]
while (queue.length) {
  const key = queue.shift()
  if (seen.has(key)) continue
  seen.add(key)
  const chunk = manifest[key]
  if (!chunk) {
    // In the entry chunk rather than a chunk of its own: counted there.
    if (key !== 'index.html') continue
    throw new Error(`${key} is not in the Vite manifest`)
  }
  files.add(chunk.file)
  queue.push(...(chunk.imports ?? []))
}
files.add('prefetch.js')
let total = 0
for (const file of files) {
  const gz = gzipSync(readFileSync(resolve(dist, file)), { level: 9 }).length
  total += gz
  console.log(`${(gz / 1024).toFixed(1).padStart(7)} KB gz  ${file}`)
}
const kb = (total / 1024).toFixed(1)
console.log(`initial route JS: ${kb} KB gzipped (budget ${budget / 1024} KB)`)
for (const heavy of ['codemirror', 'xterm']) {
  for (const file of files) {
    if (readFileSync(resolve(dist, file), 'utf8').includes(heavy === 'xterm' ? 'xterm-helper-textarea' : 'cm-editor')) {
      console.error(`${file} (initial route) contains ${heavy}: it must load only on its pages`)
      process.exit(1)
    }
  }
}
if (total > budget) {
  console.error('over budget: code-split the route or import less on the first page')
  process.exit(1)
}
