// Generates src/api/schema.d.ts from the server's OpenAPI document (`windflow openapi`).
//   npm run gen:api            rewrite the file
//   npm run check:api          fail when the committed file differs from what the server says
// The binary is $WINDFLOW_BIN when set, else `cargo run -q -p windflow-cli -- openapi`.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(web, 'src/api/schema.d.ts')
const check = process.argv.includes('--check')

const bin = process.env.WINDFLOW_BIN
const json = bin
  ? execFileSync(bin, ['openapi'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  : execFileSync('cargo', ['run', '-q', '-p', 'windflow-cli', '--', 'openapi'], {
      cwd: resolve(web, '..'),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
const ast = await openapiTS(JSON.parse(json))
const header =
  '// Generated from the WindFlow OpenAPI document by `npm run gen:api`. Do not edit by hand.\n\n'
const text = header + astToString(ast)

if (check) {
  let current = ''
  try {
    current = readFileSync(out, 'utf8')
  } catch {
    // missing: reported below
  }
  if (current !== text) {
    console.error(
      'web/src/api/schema.d.ts does not match the server\'s OpenAPI document.\n' +
        'Run `cd web && npm run gen:api` (after building windflow) and commit the result.',
    )
    process.exit(1)
  }
  console.log('web/src/api/schema.d.ts matches the OpenAPI document')
} else {
  writeFileSync(out, text)
  console.log(`wrote ${out}`)
}
