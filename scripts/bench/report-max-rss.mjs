// Preloaded (node --import) into a benchmarked process: writes its peak RSS,
// in kilobytes, to BENCH_RSS_FILE as it exits. Plain JavaScript on purpose: a
// .ts preload would make Node load its TypeScript stripper into the very
// process being measured.
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS))
})
