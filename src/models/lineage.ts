/**
 * A lineage graph (`GET lineage?ref=`) laid out as layers a narrow sidebar reads top to
 * bottom: data → code → run → version → alias (→ drift checks on a forward walk). Plain
 * module (jest-tested).
 */
import { formatBytes, formatMetric, formatValue } from '../format';
import { Mlops } from '../types';

/** The layers, in reading order, and the node kinds each holds. */
export const LAYERS: ReadonlyArray<{
  readonly key: string;
  readonly title: string;
  readonly kinds: ReadonlyArray<string>;
}> = [
  { key: 'data', title: 'Data', kinds: ['data', 'file', 'url'] },
  { key: 'code', title: 'Code', kinds: ['snapshot', 'commit'] },
  { key: 'run', title: 'Runs', kinds: ['run', 'sweep'] },
  { key: 'version', title: 'Model versions', kinds: ['version'] },
  { key: 'alias', title: 'Aliases', kinds: ['alias'] },
  { key: 'drift', title: 'Drift checks', kinds: ['drift'] }
];

/** How an edge reads from its source: `read by`, `registered as`, ... */
const RELATION_WORDS: { readonly [relation: string]: string } = {
  input: 'read by',
  code: 'code of',
  reproduction: 'reproduced by',
  sweep: 'swept into',
  registered: 'registered as',
  file: 'file of',
  alias: 'held by',
  batch: 'checked in',
  reference: 'reference of',
  checked: 'checked in'
};

/** A node as the lineage view shows it. */
export interface ILineageItem {
  readonly kind: string;
  readonly id: string;
  readonly label: string;
  /** Short facts: sha256, size, status, metrics, flavor... */
  readonly facts: string[];
  /** Where it leads: `read by run 26ef8cc62517 'train1'`. */
  readonly links: string[];
  /** A run node's id (the view opens its details), else null. */
  readonly runId: string | null;
  /** Whether the walk started here. */
  readonly root: boolean;
}

/** One layer of the view (only layers with nodes are returned). */
export interface ILineageLayer {
  readonly key: string;
  readonly title: string;
  readonly items: ILineageItem[];
}

type Detail = { readonly [key: string]: Mlops.JSONValue };

function str(value: Mlops.JSONValue | undefined): string | null {
  return typeof value === 'string' && value ? value : null;
}

function mapping(value: Mlops.JSONValue | undefined): Detail {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Detail)
    : {};
}

function pairs(value: Mlops.JSONValue | undefined, max = 4): string {
  const entries = Object.entries(mapping(value));
  const shown = entries
    .slice(0, max)
    .map(([k, v]) =>
      typeof v === 'number' || typeof v === 'string'
        ? `${k}=${typeof v === 'number' ? formatMetric(v) : formatValue(v)}`
        : `${k}=${formatValue(v)}`
    );
  if (entries.length > max) {
    shown.push(`+${entries.length - max} more`);
  }
  return shown.join(', ');
}

/** The facts of a node, by kind. */
export function nodeFacts(node: Mlops.ILineageNode): string[] {
  const d = node.detail ?? {};
  const facts: string[] = [];
  switch (node.kind) {
    case 'data': {
      facts.push(`sha256 ${node.id.slice(0, 12)}…`);
      if (typeof d.size === 'number') {
        facts.push(formatBytes(d.size));
      }
      if (d.hashing === 'sampled') {
        facts.push('hash of samples');
      }
      break;
    }
    case 'run': {
      const status = str(d.status);
      const experiment = str(d.experiment);
      if (status || experiment) {
        facts.push([status, experiment].filter(Boolean).join(' · '));
      }
      const params = pairs(d.params);
      if (params) {
        facts.push(`params ${params}`);
      }
      const metrics = pairs(d.metrics);
      if (metrics) {
        facts.push(`metrics ${metrics}`);
      }
      break;
    }
    case 'version': {
      const flavor = str(d.flavor);
      if (flavor) {
        facts.push(`${flavor}, ${d.files ?? '?'} file(s)`);
      }
      const by = str(d.created_by);
      if (by) {
        facts.push(`registered by ${by}`);
      }
      break;
    }
    default:
      break;
  }
  return facts;
}

function layerOf(kind: string): string {
  return LAYERS.find(l => l.kinds.includes(kind))?.key ?? 'data';
}

/** A version's own file, which the view lists under the version rather than as data. */
function isModelFile(node: Mlops.ILineageNode): boolean {
  return node.kind === 'data' && typeof node.detail?.model_file === 'string';
}

/**
 * Lay a lineage graph out in layers.
 *
 * @param aliases aliases that hold a version of the graph and are not in it (a back walk from
 *   `NAME/N` stops at the version): `{"churn/1": ["champion"]}`
 */
export function lineageLayers(
  lineage: Mlops.ILineage,
  aliases: { readonly [versionId: string]: ReadonlyArray<string> } = {}
): ILineageLayer[] {
  const key = (kind: string, id: string) => `${kind}\u0000${id}`;
  const byKey = new Map(lineage.nodes.map(n => [key(n.kind, n.id), n]));
  const roots = new Set(lineage.roots.map(r => key(r.kind, r.id)));
  const edges = [...lineage.edges];
  const nodes = [...lineage.nodes];
  for (const [version, names] of Object.entries(aliases)) {
    if (!byKey.has(key('version', version))) {
      continue;
    }
    const model = version.slice(0, version.lastIndexOf('/'));
    for (const alias of names) {
      const id = `${model}@${alias}`;
      if (!byKey.has(key('alias', id))) {
        const node = { kind: 'alias', id, label: id, detail: {} };
        byKey.set(key('alias', id), node);
        nodes.push(node);
        edges.push({
          src_kind: 'version',
          src: version,
          dst_kind: 'alias',
          dst: id,
          relation: 'alias'
        });
      }
    }
  }
  const files = new Map<string, string[]>();
  for (const edge of edges) {
    const src = byKey.get(key(edge.src_kind, edge.src));
    if (edge.relation === 'file' && src && isModelFile(src)) {
      const list = files.get(edge.dst) ?? [];
      list.push(
        `file ${String(src.detail.model_file).split(':').pop()} sha256 ${src.id.slice(0, 12)}…`
      );
      files.set(edge.dst, list);
    }
  }
  const seenLinks = new Set<string>();
  const links = new Map<string, string[]>();
  for (const edge of edges) {
    const src = byKey.get(key(edge.src_kind, edge.src));
    const dst = byKey.get(key(edge.dst_kind, edge.dst));
    if (!src || !dst || isModelFile(src)) {
      continue;
    }
    const words = RELATION_WORDS[edge.relation] ?? edge.relation;
    const text = `${words} ${dst.label || dst.id}`;
    const k = key(src.kind, src.id);
    if (seenLinks.has(`${k}\u0000${text}`)) {
      continue;
    }
    seenLinks.add(`${k}\u0000${text}`);
    links.set(k, [...(links.get(k) ?? []), text]);
  }
  return LAYERS.map(layer => ({
    key: layer.key,
    title: layer.title,
    items: nodes
      .filter(n => layerOf(n.kind) === layer.key && !isModelFile(n))
      .map(n => ({
        kind: n.kind,
        id: n.id,
        label: n.label || n.id,
        facts: [
          ...nodeFacts(n),
          ...(n.kind === 'version' ? (files.get(n.id) ?? []) : [])
        ],
        links: links.get(key(n.kind, n.id)) ?? [],
        runId: n.kind === 'run' ? n.id : null,
        root: roots.has(key(n.kind, n.id))
      }))
  })).filter(layer => layer.items.length > 0);
}
