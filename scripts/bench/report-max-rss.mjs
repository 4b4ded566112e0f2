// Preloaded (node --import) into a benchmarked process: writes its peak RSS,
// in kilobytes, to BENCH_RSS_FILE as it exits. Plain JavaScript on purpose: a
// .ts preload would make Node load its TypeScript stripper into the very
// process being measured.
//
// On Linux it reads VmHWM, the peak of this program's own memory map.
// getrusage's ru_maxrss (process.resourceUsage) survives execve, so a child
// of the benchmark would report the benchmark's own, larger, peak.
import { readFileSync, writeFileSync } from 'node:fs'

function peakRssKb() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status)
    if (match) return Number(match[1])
  } catch {
    // Not Linux: the rusage figure is the best there is.
  }
  return process.resourceUsage().maxRSS
}

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  if (file) writeFileSync(file, String(peakRssKb()))
})
