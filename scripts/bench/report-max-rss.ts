// Preloaded (node --import) into a benchmarked process: writes its peak RSS,
// in kilobytes, to BENCH_RSS_FILE as it exits. The keyring helper process
// (forked with the same flags) writes to BENCH_RSS_FILE.helper instead.
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  if (!file) return
  const forked = process.channel !== undefined || process.send !== undefined
  writeFileSync(forked ? `${file}.helper` : file, String(process.resourceUsage().maxRSS))
})
