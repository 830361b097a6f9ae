/**
 * The browser tests must never touch the user's own store. The Playwright config takes a snapshot
 * of the default store folders when it is first loaded (before the Jupyter server starts) and this
 * module's global teardown fails the run when one of them was created or changed meanwhile.
 *
 * The default store is `$XDG_DATA_HOME/mlops-jupyter` (when that is an absolute path) or
 * `~/.local/share/mlops-jupyter` (see mlops_jupyter/store/location.py). The snapshot lists the
 * folder, its files and the files one level down (`blobs/ab/…`, `sweeps/…`) with their size and
 * modification time: a new run or blob changes one of them, and it stays cheap on a big store.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const ENV_KEY = 'MLOPS_UI_DEFAULT_STORE_SNAPSHOT';

/** The folders a process without MLOPS_JUPYTER_STORE would use as its store. */
function defaultStores() {
  const folders = [
    path.join(os.homedir(), '.local', 'share', 'mlops-jupyter')
  ];
  const xdg = process.env.XDG_DATA_HOME;
  if (xdg && path.isAbsolute(xdg)) {
    folders.push(path.join(xdg, 'mlops-jupyter'));
  }
  return [...new Set(folders)];
}

function describe(file) {
  try {
    const stat = fs.statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return null;
  }
}

function entries(folder) {
  try {
    return fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** `{path: "size:mtime"}` of the default store folders and their contents, two levels deep. */
function snapshot() {
  const seen = {};
  for (const store of defaultStores()) {
    const top = describe(store);
    if (top === null) {
      continue;
    }
    seen[store] = top;
    for (const entry of entries(store)) {
      const child = path.join(store, entry.name);
      seen[child] = describe(child);
      if (entry.isDirectory()) {
        for (const inner of entries(child)) {
          const file = path.join(child, inner.name);
          seen[file] = describe(file);
        }
      }
    }
  }
  return seen;
}

/** What differs between two snapshots: created, changed and removed paths. */
function changes(before, after) {
  const found = [];
  for (const [file, state] of Object.entries(after)) {
    if (!(file in before)) {
      found.push(`created ${file}`);
    } else if (before[file] !== state) {
      found.push(`changed ${file}`);
    }
  }
  for (const file of Object.keys(before)) {
    if (!(file in after)) {
      found.push(`removed ${file}`);
    }
  }
  return found;
}

/** Take the snapshot once per run (workers load the config again and inherit it). */
function remember() {
  if (!process.env[ENV_KEY]) {
    process.env[ENV_KEY] = JSON.stringify(snapshot());
  }
}

/** Global teardown: fail when the default store was created or changed during the run. */
async function globalTeardown() {
  const before = JSON.parse(process.env[ENV_KEY] || '{}');
  const found = changes(before, snapshot());
  if (found.length) {
    throw new Error(
      `The browser tests touched the user's default mlops-jupyter store (every test must use ` +
        `the server's temporary MLOPS_JUPYTER_STORE):\n  ${found.slice(0, 20).join('\n  ')}`
    );
  }
}

module.exports = globalTeardown;
module.exports.remember = remember;
module.exports.snapshot = snapshot;
module.exports.changes = changes;
module.exports.defaultStores = defaultStores;
