/**
 * The npm registry reachable here serves only this machine's platform builds of packages such as @swc/core
 * and unrs-resolver, so `npm install` leaves their other-platform optional packages out of
 * package-lock.json, and `npm ci` then refuses the lock as out of sync. This adds those entries back,
 * marked optional with the os/cpu their names declare, so `npm ci` validates and skips them as it would
 * with a complete lock. Run it after `npm install` changes the lock: `node scripts/lock-missing-platform-packages.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const childPath = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoistedPath = `node_modules/${name}`;
    if (lock.packages[childPath] || lock.packages[hoistedPath]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((part) => OS.includes(part));
    const cpu = parts.find((part) => CPU.includes(part));
    lock.packages[hoistedPath] = {
      version: String(version).replace(/^[\^~=]/, ''),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform package entries to package-lock.json`);
