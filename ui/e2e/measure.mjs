// Measures the app's warm start time and idle memory, in the real window under Xvfb.
//   start: from asking WebKitWebDriver for a session (which launches the app) until the sources
//          list is on screen; the first launch warms the disk cache and is not counted.
//   memory: PSS summed over the app and every process under it (WebKit's web and network
//          processes), read from /proc/<pid>/smaps_rollup after 5 s idle with one source listed.
// Run through scripts/app-measure.sh.
import { readFile, readdir } from "node:fs/promises";
import { startDriver } from "./driver.mjs";
import { sleep } from "./webdriver.mjs";

const app = process.env.LANYARD_APP_BIN;
const runs = Number(process.env.RUNS ?? 5);

async function children() {
  const map = new Map();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  return map;
}

async function comm(pid) {
  return (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
}

async function pssKiB(pid) {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const match = text.match(/^Pss:\s+(\d+) kB/m);
  return match ? Number(match[1]) : 0;
}

const driver = await startDriver({ tauriDriver: process.env.TAURI_DRIVER, log: { write() {} } });
const starts = [];
try {
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const session = await driver.session(app);
    await session.find('[data-testid="sources-view"] [data-testid="sources-list"], [data-testid="sources-empty"]', 30_000);
    const ms = performance.now() - t0;
    if (i > 0) starts.push(ms);
    if (i === runs) {
      await sleep(5000);
      const tree = await children();
      const all = [];
      const appPids = [];
      for (const [, pids] of tree) for (const pid of pids) if ((await comm(pid)) === "lanyard-app") appPids.push(pid);
      const walk = (pid) => {
        all.push(pid);
        for (const child of tree.get(pid) ?? []) walk(child);
      };
      appPids.forEach(walk);
      let total = 0;
      for (const pid of all) {
        const kib = await pssKiB(pid);
        total += kib;
        console.log(`  ${String(pid).padStart(7)} ${(await comm(pid)).padEnd(20)} ${(kib / 1024).toFixed(1)} MiB PSS`);
      }
      console.log(`idle memory: ${(total / 1024).toFixed(0)} MiB PSS over ${all.length} processes`);
    }
    await session.delete();
  }
} finally {
  await driver.stop();
}
starts.sort((a, b) => a - b);
const median = starts[Math.floor(starts.length / 2)];
console.log(`warm start to the sources list: median ${median.toFixed(0)} ms (min ${starts[0].toFixed(0)}, max ${starts.at(-1).toFixed(0)}, ${starts.length} runs)`);
