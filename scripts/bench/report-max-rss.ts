// Preloaded (node --import) into a benchmarked process: writes its peak RSS,
// in kilobytes, to BENCH_RSS_FILE as it exits. (The keychain helper process
// is forked without atoauth's flags, so this reports atoauth's own process.)
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS))
})
